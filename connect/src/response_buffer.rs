//! An operation's responses on their way from its execution to its client, kept for
//! `ReattachExecute` and bounded in bytes. The execution pushes responses as it
//! produces them and waits while the client is more than [`ResponseBuffer::ahead`] bytes
//! behind; a response stream reads from a position and may end early (Spark's
//! `senderMaxStreamSize`) so the client reattaches. Responses leave the buffer when the
//! client releases them (`ReleaseExecute`), or once sent when more than the retry
//! buffer's bytes of sent responses are kept; a reattach to a position that left gets
//! Spark's `INVALID_CURSOR.POSITION_NOT_AVAILABLE`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::Stream;
use parking_lot::Mutex;
use prost::Message;
use spark_connect_proto::ExecutePlanResponse;
use tokio::sync::Notify;
use tonic::Status;

use crate::errors::ConnectError;

/// How much an operation keeps, and how long one response stream runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferLimits {
    /// Bytes of produced, unsent responses after which the execution waits.
    pub ahead: usize,
    /// Bytes of sent, unreleased responses kept for a reattach
    /// (`spark.connect.execute.reattachable.observerRetryBufferSize`); 0 for an execution
    /// that is not reattachable.
    pub retry: usize,
    /// Bytes one response stream sends before it ends without `ResultComplete`, for the
    /// client to reattach (`spark.connect.execute.reattachable.senderMaxStreamSize`);
    /// `None`: no end.
    pub stream: Option<usize>,
}

/// The responses of one operation between its execution and its client.
#[derive(Debug)]
pub struct ResponseBuffer {
    limits: BufferLimits,
    state: Mutex<BufferState>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct BufferState {
    /// Responses still kept, from position `first` on.
    responses: VecDeque<Kept>,
    /// The position of the first kept response (how many left the buffer).
    first: u64,
    /// The id of the last response that left the buffer.
    last_dropped: Option<String>,
    /// The position after the furthest response any stream has sent.
    sent: u64,
    /// How the execution ended, once it has: `Ok` after its last response.
    end: Option<Result<(), Status>>,
    /// Response streams reading the buffer now.
    streams: usize,
    /// Since when no stream has read it (`None` while one does).
    detached_since: Option<Instant>,
}

#[derive(Debug)]
struct Kept {
    response: ExecutePlanResponse,
    bytes: usize,
}

impl BufferState {
    /// The position after the last response pushed.
    fn next(&self) -> u64 {
        self.first + self.responses.len() as u64
    }

    fn bytes_between(&self, from: u64, to: u64) -> usize {
        let skip = from.saturating_sub(self.first) as usize;
        let take = to.saturating_sub(from.max(self.first)) as usize;
        self.responses.iter().skip(skip).take(take).map(|kept| kept.bytes).sum()
    }

    fn drop_front(&mut self) {
        if let Some(kept) = self.responses.pop_front() {
            self.first += 1;
            self.last_dropped = Some(kept.response.response_id);
        }
    }

    /// Drops sent responses from the front while more than `retry` bytes of them are kept.
    fn trim(&mut self, retry: usize) {
        while self.first < self.sent && self.bytes_between(self.first, self.sent) > retry {
            self.drop_front();
        }
    }
}

impl ResponseBuffer {
    /// An empty buffer with `limits`.
    pub fn new(limits: BufferLimits) -> Arc<Self> {
        let state = BufferState { detached_since: Some(Instant::now()), ..Default::default() };
        Arc::new(Self { limits, state: Mutex::new(state), changed: Notify::new() })
    }

    /// How long no response stream has read this buffer (`None` while one does): an
    /// execution the client left without releasing it is removed after a while.
    pub fn detached_for(&self) -> Option<Duration> {
        self.state.lock().detached_since.map(|since| since.elapsed())
    }

    /// Adds the execution's next response; waits while the client is more than
    /// [`BufferLimits::ahead`] bytes behind (at least one unsent response is always taken).
    pub async fn push(&self, response: ExecutePlanResponse) {
        loop {
            let changed = self.changed.notified();
            {
                let mut state = self.state.lock();
                let (sent, next) = (state.sent, state.next());
                if state.end.is_some() {
                    return;
                }
                if sent == next || state.bytes_between(sent, next) < self.limits.ahead {
                    let bytes = response.encoded_len();
                    state.responses.push_back(Kept { response, bytes });
                    drop(state);
                    self.changed.notify_waiters();
                    return;
                }
            }
            changed.await;
        }
    }

    /// Records how the execution ended (the first end counts): streams end after the last
    /// response, with `error` if it failed.
    pub fn finish(&self, outcome: Result<(), Status>) {
        let mut state = self.state.lock();
        if state.end.is_none() {
            state.end = Some(outcome);
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// Lets responses up to and including `response_id` go (`ReleaseUntil`); an id not
    /// kept releases nothing.
    pub fn release_until(&self, response_id: &str) {
        let mut state = self.state.lock();
        if let Some(i) = state.responses.iter().position(|kept| kept.response.response_id == response_id) {
            for _ in 0..=i {
                state.drop_front();
            }
            state.sent = state.sent.max(state.first);
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// The position after response `last` (the start without one): a reattach resumes
    /// there. Fails with Spark's `INVALID_CURSOR` errors when that response is no longer
    /// kept or was never sent.
    pub fn position_after(&self, operation_id: &str, last: Option<&str>) -> Result<u64, ConnectError> {
        let state = self.state.lock();
        let position = match last {
            None => 0,
            Some(id) if state.last_dropped.as_deref() == Some(id) => state.first,
            Some(id) => match state.responses.iter().position(|kept| kept.response.response_id == id) {
                Some(i) => state.first + i as u64 + 1,
                None if state.first > 0 => state.first.saturating_sub(1),
                None => {
                    return Err(ConnectError::CursorNotFound { operation_id: operation_id.to_string(), response_id: id.to_string() });
                }
            },
        };
        if position < state.first {
            return Err(ConnectError::CursorReleased {
                operation_id: operation_id.to_string(),
                response_id: last.unwrap_or_default().to_string(),
                index: position,
            });
        }
        Ok(position)
    }

    /// The responses from `position` on, as the execution produces them: the stream ends
    /// after the last one, with the execution's error if it failed, or early (for the
    /// client to reattach) after [`BufferLimits::stream`] bytes.
    pub fn stream_from(self: Arc<Self>, operation_id: String, position: u64) -> impl Stream<Item = Result<ExecutePlanResponse, Status>> + Send {
        {
            let mut state = self.state.lock();
            state.streams += 1;
            state.detached_since = None;
        }
        let cursor = Cursor { buffer: self, operation_id, position, bytes: 0, ended: false };
        futures::stream::unfold(cursor, |mut cursor| async move {
            let item = cursor.next().await?;
            Some((item, cursor))
        })
    }
}

/// One response stream's place in a buffer.
struct Cursor {
    buffer: Arc<ResponseBuffer>,
    operation_id: String,
    position: u64,
    /// Bytes this stream has sent.
    bytes: usize,
    ended: bool,
}

impl Drop for Cursor {
    fn drop(&mut self) {
        let mut state = self.buffer.state.lock();
        state.streams = state.streams.saturating_sub(1);
        if state.streams == 0 {
            state.detached_since = Some(Instant::now());
        }
    }
}

impl Cursor {
    async fn next(&mut self) -> Option<Result<ExecutePlanResponse, Status>> {
        if self.ended || self.buffer.limits.stream.is_some_and(|limit| self.bytes >= limit) {
            return None;
        }
        loop {
            let changed = self.buffer.changed.notified();
            {
                let mut state = self.buffer.state.lock();
                if self.position < state.first {
                    self.ended = true;
                    let index = self.position;
                    let error = ConnectError::CursorReleased {
                        operation_id: self.operation_id.clone(),
                        response_id: String::new(),
                        index,
                    };
                    return Some(Err(error.to_status()));
                }
                if self.position < state.next() {
                    let kept = &state.responses[(self.position - state.first) as usize];
                    let response = kept.response.clone();
                    self.bytes += kept.bytes;
                    self.position += 1;
                    state.sent = state.sent.max(self.position);
                    state.trim(self.buffer.limits.retry);
                    drop(state);
                    self.buffer.changed.notify_waiters();
                    return Some(Ok(response));
                }
                match &state.end {
                    Some(Ok(())) => return None,
                    Some(Err(status)) => {
                        self.ended = true;
                        return Some(Err(status.clone()));
                    }
                    None => {}
                }
            }
            changed.await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use futures::StreamExt;

    fn response(id: usize, bytes: usize) -> ExecutePlanResponse {
        ExecutePlanResponse { response_id: format!("r{id}"), operation_id: "x".repeat(bytes), ..Default::default() }
    }

    fn ids(responses: &[Result<ExecutePlanResponse, Status>]) -> Vec<String> {
        responses.iter().map(|r| r.as_ref().unwrap().response_id.clone()).collect()
    }

    const LIMITS: BufferLimits = BufferLimits { ahead: 1000, retry: 250, stream: None };

    /// The execution waits once the client is `ahead` bytes behind, and goes on as it reads.
    #[tokio::test]
    async fn the_execution_waits_for_a_slow_client() {
        let buffer = ResponseBuffer::new(LIMITS);
        let producer = {
            let buffer = Arc::clone(&buffer);
            tokio::spawn(async move {
                for i in 0..20 {
                    buffer.push(response(i, 100)).await;
                }
                buffer.finish(Ok(()));
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(buffer.state.lock().next(), 10, "ten responses of ~100 bytes, then it waits");
        let all: Vec<_> = Arc::clone(&buffer).stream_from("op".into(), 0).collect().await;
        assert_eq!(ids(&all), (0..20).map(|i| format!("r{i}")).collect::<Vec<_>>());
        producer.await.unwrap();
        let state = buffer.state.lock();
        assert!(state.end.is_some() && state.sent == state.next(), "every response was sent");
        drop(state);
        assert!(buffer.state.lock().responses.len() <= 3, "only ~250 bytes of sent responses are kept");
    }

    /// A reattach resumes after the last response the client saw, also when the client
    /// released it; a position released or trimmed away is Spark's INVALID_CURSOR error.
    #[tokio::test]
    async fn reattach_resumes_after_the_last_response_and_refuses_released_ones() {
        let buffer = ResponseBuffer::new(BufferLimits { stream: Some(250), ..LIMITS });
        for i in 0..6 {
            buffer.push(response(i, 100)).await;
        }
        buffer.finish(Ok(()));
        let first: Vec<_> = Arc::clone(&buffer).stream_from("op".into(), 0).collect().await;
        assert_eq!(ids(&first), ["r0", "r1", "r2"], "the stream ends after 250 bytes for the client to reattach");
        let at = buffer.position_after("op", Some("r2")).unwrap();
        buffer.release_until("r2");
        assert_eq!(buffer.position_after("op", Some("r2")).unwrap(), at, "resuming after a released response");
        let rest: Vec<_> = Arc::clone(&buffer).stream_from("op".into(), at).collect().await;
        assert_eq!(ids(&rest), ["r3", "r4", "r5"]);
        let error = buffer.position_after("op", Some("r0")).unwrap_err().to_string();
        assert!(error.contains("INVALID_CURSOR.POSITION_NOT_AVAILABLE"), "{error}");
        let error = buffer.position_after("op", None).unwrap_err().to_string();
        assert!(error.contains("INVALID_CURSOR.POSITION_NOT_AVAILABLE"), "{error}");
        let fresh = ResponseBuffer::new(LIMITS);
        let error = fresh.position_after("op", Some("nope")).unwrap_err().to_string();
        assert!(error.contains("INVALID_CURSOR.POSITION_NOT_FOUND"), "{error}");
    }

    #[tokio::test]
    async fn a_buffer_knows_how_long_no_stream_has_read_it() {
        let buffer = ResponseBuffer::new(LIMITS);
        assert!(buffer.detached_for().is_some());
        let stream = Arc::clone(&buffer).stream_from("op".into(), 0);
        let again = Arc::clone(&buffer).stream_from("op".into(), 0);
        assert_eq!(buffer.detached_for(), None);
        drop(stream);
        assert_eq!(buffer.detached_for(), None, "one stream still reads");
        drop(again);
        assert!(buffer.detached_for().is_some());
    }

    #[tokio::test]
    async fn a_failed_execution_ends_its_streams_with_the_error() {
        let buffer = ResponseBuffer::new(LIMITS);
        buffer.push(response(0, 10)).await;
        buffer.finish(Err(Status::internal("boom")));
        let items: Vec<_> = Arc::clone(&buffer).stream_from("op".into(), 0).collect().await;
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].as_ref().unwrap_err().message(), "boom");
    }
}
