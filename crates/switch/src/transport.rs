//! SIP transports: one UDP socket and a TCP listener on the same address.
//! Everything received becomes an `Inbound` on one channel to the driver;
//! TCP streams are framed by Content-Length (partial reads are normal) and
//! each connection has a writer the driver can address by peer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use voxide_sip::Transport;
use voxide_sip::framing::{self, Frame};

use crate::stats::Stats;

/// A message (or datagram) as it arrived.
#[derive(Debug)]
pub struct Inbound {
    pub bytes: Bytes,
    pub source: SocketAddr,
    pub transport: Transport,
    /// When it was read from the socket (for shedding stale requests).
    pub received: std::time::Instant,
}

/// Writers of open TCP connections, by peer address.
#[derive(Clone, Default)]
pub struct TcpWriters {
    inner: Arc<Mutex<HashMap<SocketAddr, mpsc::Sender<Bytes>>>>,
}

impl TcpWriters {
    fn insert(&self, peer: SocketAddr, tx: mpsc::Sender<Bytes>) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).insert(peer, tx);
    }

    fn remove(&self, peer: &SocketAddr) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).remove(peer);
    }

    /// Queues `bytes` on the connection to `peer`; false if there is none.
    pub fn send(&self, peer: &SocketAddr, bytes: Bytes) -> bool {
        let tx = self.inner.lock().unwrap_or_else(|p| p.into_inner()).get(peer).cloned();
        tx.is_some_and(|tx| tx.try_send(bytes).is_ok())
    }
}

/// Receives datagrams until shutdown.
pub async fn udp_loop(socket: Arc<UdpSocket>, to_driver: mpsc::Sender<Inbound>, shutdown: CancellationToken) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let received = tokio::select! {
            r = socket.recv_from(&mut buf) => r,
            () = shutdown.cancelled() => return,
        };
        match received {
            Ok((n, source)) => {
                let inbound = Inbound {
                    bytes: Bytes::copy_from_slice(&buf[..n]),
                    source,
                    transport: Transport::Udp,
                    received: std::time::Instant::now(),
                };
                if to_driver.send(inbound).await.is_err() {
                    return;
                }
            }
            // ICMP port-unreachable from an earlier send surfaces here on
            // Linux; it says nothing about this socket, so keep going.
            Err(e) => tracing::debug!(cause = %e, "udp receive error"),
        }
    }
}

/// Accepts TCP connections until shutdown.
pub async fn tcp_accept_loop(
    listener: TcpListener,
    to_driver: mpsc::Sender<Inbound>,
    writers: TcpWriters,
    stats: Arc<Stats>,
    shutdown: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = shutdown.cancelled() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(
                    stream,
                    peer,
                    to_driver.clone(),
                    writers.clone(),
                    stats.clone(),
                    shutdown.child_token(),
                ));
            }
            Err(e) => {
                tracing::warn!(cause = %e, "tcp accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    to_driver: mpsc::Sender<Inbound>,
    writers: TcpWriters,
    stats: Arc<Stats>,
    shutdown: CancellationToken,
) {
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Bytes>(256);
    writers.insert(peer, tx);
    let write_task = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let mut buf = BytesMut::with_capacity(8192);
    'read: loop {
        let n = tokio::select! {
            r = reader.read_buf(&mut buf) => r,
            () = shutdown.cancelled() => break,
        };
        match n {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        loop {
            match framing::check(&buf) {
                Ok(Frame::Incomplete) => break,
                Ok(Frame::KeepAlive { len }) => buf.advance(len),
                Ok(Frame::Message { len }) => {
                    let bytes = buf.split_to(len).freeze();
                    if to_driver
                        .send(Inbound {
                            bytes,
                            source: peer,
                            transport: Transport::Tcp,
                            received: std::time::Instant::now(),
                        })
                        .await
                        .is_err()
                    {
                        break 'read;
                    }
                }
                Err(e) => {
                    // The stream cannot be resynchronised after a framing
                    // error: drop the connection and count it.
                    Stats::inc(&stats.sip_dropped);
                    tracing::info!(%peer, cause = %e, "closing TCP connection after framing error");
                    break 'read;
                }
            }
        }
    }
    writers.remove(&peer);
    write_task.abort();
}
