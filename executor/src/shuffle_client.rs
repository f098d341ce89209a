//! Fetches the shuffle blocks other executors wrote from their block services
//! ([`crate::shuffle_service`]) over Arrow Flight, one connection per executor; every
//! fetch carries the application's secret.

use crate::shuffle_service::ticket;
use arrow_flight::FlightClient;
use arrow_flight::flight_service_client::FlightServiceClient;
use flint_engine::ids::ShuffleBlockId;
use datafusion::physical_plan::metrics::Count;
use flint_engine::shuffle::{BLOCK_BYTES_HEADER, BlockError, BlockStream, RemoteBlocks};
use flint_proto::auth::AddSecret;
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// How long a reducer waits to connect to another executor before the fetch fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Flight client per block service address, connected on first use.
#[derive(Debug)]
pub struct FlightBlocks {
    channels: Mutex<HashMap<String, Channel>>,
    secret: AddSecret,
}

impl FlightBlocks {
    /// Fetches with the application's secret.
    pub fn new(secret: AddSecret) -> Self {
        Self { channels: Mutex::default(), secret }
    }

    fn channel(&self, address: &str) -> Result<Channel, BlockError> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(channel) = channels.get(address) {
            return Ok(channel.clone());
        }
        let channel = Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| format!("bad block service address {address}: {e}"))?
            .connect_timeout(CONNECT_TIMEOUT)
            .connect_lazy();
        channels.insert(address.to_string(), channel.clone());
        Ok(channel)
    }
}

impl RemoteBlocks for FlightBlocks {
    fn fetch(&self, block: ShuffleBlockId, address: &str, bytes: Count) -> BlockStream {
        let channel = self.channel(address);
        let address = address.to_string();
        let secret = self.secret.clone();
        let stream = futures::stream::once(async move {
            let client = FlightServiceClient::with_interceptor(channel?, secret).max_decoding_message_size(usize::MAX);
            let batches = FlightClient::new_from_inner(client)
                .do_get(ticket(&block))
                .await
                .map_err(|e| BlockError::from(format!("fetching from {address}: {e}")))?;
            let size = batches.headers().get(BLOCK_BYTES_HEADER).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
            bytes.add(size.unwrap_or(0));
            Ok::<_, BlockError>(batches.map_err(move |e| BlockError::from(format!("fetching {block}: {e}"))))
        });
        stream.try_flatten().boxed()
    }
}
