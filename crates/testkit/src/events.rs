//! The switch's live events (`GET /api/events`, a websocket) as a test
//! reads them: everything buffered since a sequence number.

use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;
use tungstenite::Message;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;

use crate::Server;

impl Server {
    /// Every event of `tenant` after sequence number `since` that arrives
    /// before the stream has been quiet for a second.
    pub fn events_since(&self, tenant: i64, since: u64) -> Vec<Value> {
        let auth = format!("Token {}", self.token);
        self.events(&format!("tenant_id={tenant}&since={since}"), Some(&auth)).expect("events websocket")
    }

    /// The events of `/api/events?{query}` (with `Authorization: auth` when
    /// given) until the stream is quiet for a second; a refused handshake
    /// gives its HTTP status.
    pub fn events(&self, query: &str, auth: Option<&str>) -> Result<Vec<Value>, u16> {
        let url = format!("ws://{}/api/events?{query}", self.http);
        let mut request = url.into_client_request().expect("events request");
        if let Some(auth) = auth {
            request.headers_mut().insert("Authorization", auth.parse().expect("auth header"));
        }
        let stream = TcpStream::connect(self.http).expect("connect to the API");
        let mut ws = match tungstenite::client(request, stream) {
            Ok((ws, _)) => ws,
            Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => {
                return Err(response.status().as_u16());
            }
            Err(e) => panic!("events websocket: {e}"),
        };
        ws.get_mut().set_read_timeout(Some(Duration::from_secs(1))).expect("read timeout");
        let mut events = Vec::new();
        loop {
            match ws.read() {
                Ok(Message::Text(text)) => events.push(serde_json::from_str(&text).expect("each event is JSON")),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(events);
                }
                Err(e) => panic!("reading events: {e}"),
            }
        }
    }
}
