//! The switch's live events (`GET /api/events`, a websocket) as a test
//! reads them: everything buffered since a sequence number.

use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;
use tungstenite::Message;
use tungstenite::client::IntoClientRequest;

use crate::Server;

impl Server {
    /// Every event of `tenant` after sequence number `since` that arrives
    /// before the stream has been quiet for a second.
    pub fn events_since(&self, tenant: i64, since: u64) -> Vec<Value> {
        let url = format!("ws://{}/api/events?tenant_id={tenant}&since={since}", self.http);
        let mut request = url.into_client_request().expect("events request");
        let auth = format!("Token {}", self.token).parse().expect("token header");
        request.headers_mut().insert("Authorization", auth);
        let stream = TcpStream::connect(self.http).expect("connect to the API");
        let (mut ws, _) = tungstenite::client(request, stream).expect("events websocket");
        ws.get_mut().set_read_timeout(Some(Duration::from_secs(1))).expect("read timeout");
        let mut events = Vec::new();
        loop {
            match ws.read() {
                Ok(Message::Text(text)) => events.push(serde_json::from_str(&text).expect("each event is JSON")),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return events;
                }
                Err(e) => panic!("reading events: {e}"),
            }
        }
    }
}
