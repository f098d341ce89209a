//! The listener bus: the scheduler posts [`ListenerEvent`]s without waiting, and one task
//! hands them, in order, to every [`Listener`] (the app status store, the event log), as
//! Spark's `LiveListenerBus` does. A slow listener never holds up scheduling.

use super::events::ListenerEvent;
use tokio::sync::{mpsc, oneshot};

/// Something that reads the application's events in the order they were posted. Its
/// methods may wait (an upload to object storage): the bus hands it the next event once
/// the last one returned, and a [`ListenerBus::flush`] returns once every listener's did.
#[async_trait::async_trait]
pub trait Listener: Send {
    /// One event.
    async fn on_event(&mut self, event: &ListenerEvent);

    /// Everything read so far is to be kept (the application is ending).
    async fn flush(&mut self) {}
}

enum Message {
    Event(Box<ListenerEvent>),
    Flush(oneshot::Sender<()>),
}

/// Where events are posted. Cheap to clone; [`ListenerBus::disabled`] drops them.
#[derive(Debug, Clone, Default)]
pub struct ListenerBus {
    sender: Option<mpsc::UnboundedSender<Message>>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Message")
    }
}

impl ListenerBus {
    /// A bus with no listeners: posting does nothing.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// A bus delivering to `listeners` on a task of its own (call inside a Tokio runtime).
    pub fn start(mut listeners: Vec<Box<dyn Listener>>) -> Self {
        let (sender, mut receiver) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = receiver.recv().await {
                match message {
                    Message::Event(event) => {
                        for listener in &mut listeners {
                            listener.on_event(&event).await;
                        }
                    }
                    Message::Flush(done) => {
                        for listener in &mut listeners {
                            listener.flush().await;
                        }
                        let _ = done.send(());
                    }
                }
            }
        });
        Self { sender: Some(sender) }
    }

    /// Whether anything listens.
    pub fn is_enabled(&self) -> bool {
        self.sender.is_some()
    }

    /// Posts `event` for the listeners, returning at once.
    pub fn post(&self, event: ListenerEvent) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(Message::Event(Box::new(event)));
        }
    }

    /// Waits until every event posted before was delivered and the listeners flushed.
    pub async fn flush(&self) {
        if let Some(sender) = &self.sender {
            let (done, flushed) = oneshot::channel();
            if sender.send(Message::Flush(done)).is_ok() {
                let _ = flushed.await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Recorder(Arc<Mutex<Vec<ListenerEvent>>>, Arc<Mutex<usize>>);

    #[async_trait::async_trait]
    impl Listener for Recorder {
        async fn on_event(&mut self, event: &ListenerEvent) {
            self.0.lock().map(|mut events| events.push(event.clone())).ok();
        }
        async fn flush(&mut self) {
            self.1.lock().map(|mut n| *n += 1).ok();
        }
    }

    #[tokio::test]
    async fn events_arrive_in_order_before_a_flush_returns() {
        let (events, flushes) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(0)));
        let bus = ListenerBus::start(vec![Box::new(Recorder(Arc::clone(&events), Arc::clone(&flushes)))]);
        for time in 0..100 {
            bus.post(ListenerEvent::ApplicationEnd { time });
        }
        bus.flush().await;
        let times: Vec<i64> = events
            .lock()
            .unwrap()
            .iter()
            .map(|e| match e {
                ListenerEvent::ApplicationEnd { time } => *time,
                _ => -1,
            })
            .collect();
        assert_eq!(times, (0..100).collect::<Vec<_>>());
        assert_eq!(*flushes.lock().unwrap(), 1);
        ListenerBus::disabled().post(ListenerEvent::ApplicationEnd { time: 0 });
        ListenerBus::disabled().flush().await;
    }
}
