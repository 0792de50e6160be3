//! SIP by hand over plain sockets, for input no real peer would send:
//! write exact bytes, read back whole responses.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

enum Conn {
    Udp(UdpSocket),
    /// The stream and bytes read but not yet returned as a message.
    Tcp(TcpStream, Vec<u8>),
}

/// A socket to a SIP server, UDP or one TCP connection.
pub struct RawSip {
    conn: Conn,
    target: SocketAddr,
    local: SocketAddr,
}

/// A response (or request) as received.
#[derive(Debug, Clone)]
pub struct SipReply {
    pub text: String,
}

impl SipReply {
    /// The status code of a response; 0 for anything else.
    pub fn status(&self) -> u16 {
        let first = self.text.lines().next().unwrap_or("");
        first.strip_prefix("SIP/2.0 ").and_then(|r| r.get(..3)).and_then(|c| c.parse().ok()).unwrap_or(0)
    }

    /// Values of every header called `name` (case-insensitive), in order.
    pub fn headers(&self, name: &str) -> Vec<&str> {
        let head = self.text.split("\r\n\r\n").next().unwrap_or("");
        head.split("\r\n")
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// The first header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers(name).into_iter().next()
    }
}

impl RawSip {
    /// A UDP socket on the loopback address of `target`'s family.
    pub fn udp(target: SocketAddr) -> RawSip {
        let bind: SocketAddr = if target.is_ipv6() { "[::1]:0" } else { "127.0.0.1:0" }.parse().expect("addr");
        let socket = UdpSocket::bind(bind).expect("bind udp");
        let local = socket.local_addr().expect("local addr");
        RawSip { conn: Conn::Udp(socket), target, local }
    }

    /// A TCP connection to `target`.
    pub fn tcp(target: SocketAddr) -> RawSip {
        let stream = TcpStream::connect_timeout(&target, Duration::from_secs(3)).expect("connect tcp");
        stream.set_nodelay(true).expect("nodelay");
        let local = stream.local_addr().expect("local addr");
        RawSip { conn: Conn::Tcp(stream, Vec::new()), target, local }
    }

    /// The address requests come from (what goes in Via).
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// `UDP` or `TCP`, as written in a Via.
    pub fn transport(&self) -> &'static str {
        match self.conn {
            Conn::Udp(_) => "UDP",
            Conn::Tcp(..) => "TCP",
        }
    }

    /// Writes `bytes` as one datagram or onto the stream.
    pub fn send(&mut self, bytes: &[u8]) {
        match &mut self.conn {
            Conn::Udp(s) => {
                s.send_to(bytes, self.target).expect("send udp");
            }
            Conn::Tcp(s, _) => s.write_all(bytes).expect("write tcp"),
        }
    }

    /// The next message, or `None` when nothing whole arrives within `wait`
    /// (or the connection closed).
    pub fn recv(&mut self, wait: Duration) -> Option<SipReply> {
        let deadline = Instant::now() + wait;
        match &mut self.conn {
            Conn::Udp(s) => {
                let mut buf = vec![0u8; 65_536];
                loop {
                    let left = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())?;
                    s.set_read_timeout(Some(left)).expect("timeout");
                    match s.recv_from(&mut buf) {
                        Ok((n, _)) => return Some(SipReply { text: String::from_utf8_lossy(&buf[..n]).into_owned() }),
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(_) => return None,
                    }
                }
            }
            Conn::Tcp(s, pending) => loop {
                if let Some(len) = frame_len(pending) {
                    let msg: Vec<u8> = pending.drain(..len).collect();
                    return Some(SipReply { text: String::from_utf8_lossy(&msg).into_owned() });
                }
                let left = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())?;
                s.set_read_timeout(Some(left)).expect("timeout");
                let mut buf = [0u8; 8192];
                match s.read(&mut buf) {
                    Ok(0) => return None,
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => return None,
                }
            },
        }
    }

    /// Sends `text` and returns the first final response (skipping 1xx);
    /// panics when none comes within three seconds.
    pub fn request(&mut self, text: &str) -> SipReply {
        self.send(text.as_bytes());
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left) {
                Some(r) if r.status() >= 200 => return r,
                Some(_) => continue,
                None => panic!("no final response within 3 s to:\n{text}"),
            }
        }
    }

    /// TCP: whether the server closes the connection within `wait`
    /// (anything it sends first is discarded). Always false for UDP.
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        let Conn::Tcp(s, _) = &mut self.conn else { return false };
        let deadline = Instant::now() + wait;
        let mut buf = [0u8; 8192];
        while let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
            s.set_read_timeout(Some(left)).expect("timeout");
            match s.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        false
    }
}

/// Length of the first whole message in `buf` (headers, blank line, and
/// `Content-Length` bytes of body), if it is all there.
fn frame_len(buf: &[u8]) -> Option<usize> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    let body = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length") || n.trim().eq_ignore_ascii_case("l"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (buf.len() >= end + body).then_some(end + body)
}
