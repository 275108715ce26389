//! Where the plugin listens, as go-plugin decides it (`server.go` `serverListener`): a unix socket named
//! `plugin<random>` in the temp directory everywhere but Windows, TCP on `127.0.0.1` on Windows —
//! the first free port from `PLUGIN_MIN_PORT` to `PLUGIN_MAX_PORT` (any free port when they are
//! unset). `MFA_PLUGIN_NETWORK=tcp` forces TCP on any OS, so the TCP path runs under real
//! Terraform in the Linux test suite too.

use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};

/// Environment variable that picks the network: `unix` (default outside Windows) or `tcp`.
pub const NETWORK_ENV: &str = "MFA_PLUGIN_NETWORK";

/// A bound listener; dropping it removes a unix socket file.
pub enum Listener {
    #[cfg(unix)]
    Unix {
        listener: UnixListener,
        path: PathBuf,
    },
    Tcp {
        listener: TcpListener,
        addr: SocketAddr,
    },
}

impl Listener {
    /// Binds where go-plugin would, honouring [`NETWORK_ENV`].
    pub fn bind() -> io::Result<Listener> {
        let requested = std::env::var(NETWORK_ENV).ok().filter(|s| !s.trim().is_empty());
        match requested.as_deref().map(str::trim) {
            Some("tcp") => bind_tcp(),
            #[cfg(unix)]
            Some("unix") | None => bind_unix(),
            #[cfg(not(unix))]
            Some("unix") => {
                Err(io::Error::new(io::ErrorKind::Unsupported, "unix sockets are not available on this OS"))
            }
            #[cfg(not(unix))]
            None => bind_tcp(),
            Some(other) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{NETWORK_ENV}={other:?}: use \"unix\" or \"tcp\""),
            )),
        }
    }

    /// The handshake line's NETWORK field.
    pub fn network(&self) -> &'static str {
        match self {
            #[cfg(unix)]
            Listener::Unix { .. } => "unix",
            Listener::Tcp { .. } => "tcp",
        }
    }

    /// The handshake line's ADDR field: the socket path, or `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        match self {
            #[cfg(unix)]
            Listener::Unix { path, .. } => path.display().to_string(),
            Listener::Tcp { addr, .. } => addr.to_string(),
        }
    }

    pub async fn accept(&self) -> io::Result<Stream> {
        match self {
            #[cfg(unix)]
            Listener::Unix { listener, .. } => listener.accept().await.map(|(s, _)| Stream::Unix(s)),
            Listener::Tcp { listener, .. } => {
                let (s, _) = listener.accept().await?;
                // gRPC sends many small frames; don't let Nagle hold them back.
                let _ = s.set_nodelay(true);
                Ok(Stream::Tcp(s))
            }
        }
    }
}

impl Listener {
    /// Removes a unix socket's file. Serving calls it when it stops: the accept task may still
    /// hold the listener when the runtime is shut down in the background.
    pub fn remove_socket(&self) {
        #[cfg(unix)]
        if let Listener::Unix { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.remove_socket();
    }
}

/// A socket named like go-plugin's (`plugin<random>` in the temp dir, or
/// `PLUGIN_UNIX_SOCKET_DIR` when a client asks for one).
#[cfg(unix)]
fn bind_unix() -> io::Result<Listener> {
    let dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    for _ in 0..8 {
        let path = dir.join(format!("plugin{}", rand::random::<u32>()));
        match UnixListener::bind(&path) {
            Ok(listener) => return Ok(Listener::Unix { listener, path }),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::AddrInUse, "no free socket name"))
}

/// The port range go-plugin reads: both unset means any free port (0..=0).
pub fn port_range(min: Option<&str>, max: Option<&str>) -> io::Result<(u16, u16)> {
    let parse = |name: &str, v: Option<&str>| -> io::Result<u16> {
        match v.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(0),
            Some(s) => s
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("{name}={s:?} is not a port number"))),
        }
    };
    let (lo, hi) = (parse("PLUGIN_MIN_PORT", min)?, parse("PLUGIN_MAX_PORT", max)?);
    if lo > hi {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("PLUGIN_MIN_PORT ({lo}) is greater than PLUGIN_MAX_PORT ({hi})"),
        ));
    }
    Ok((lo, hi))
}

fn bind_tcp() -> io::Result<Listener> {
    let (lo, hi) =
        port_range(std::env::var("PLUGIN_MIN_PORT").ok().as_deref(), std::env::var("PLUGIN_MAX_PORT").ok().as_deref())?;
    for port in lo..=hi {
        // Loopback only: the plugin must never be reachable from the network.
        let Ok(std_listener) = std::net::TcpListener::bind(("127.0.0.1", port)) else { continue };
        std_listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(std_listener)?;
        let addr = listener.local_addr()?;
        return Ok(Listener::Tcp { listener, addr });
    }
    Err(io::Error::new(io::ErrorKind::AddrInUse, format!("no free TCP port on 127.0.0.1 between {lo} and {hi}")))
}

/// An accepted connection.
pub enum Stream {
    #[cfg(unix)]
    Unix(UnixStream),
    Tcp(TcpStream),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            #[cfg(unix)]
            Stream::Unix($s) => {
                let $s = Pin::new($s);
                $e
            }
            Stream::Tcp($s) => {
                let $s = Pin::new($s);
                $e
            }
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        delegate!(self, s => s.poll_write(cx, buf))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_flush(cx))
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_shutdown(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_range_follows_go_plugin() {
        assert_eq!(port_range(None, None).unwrap(), (0, 0));
        assert_eq!(port_range(Some("10000"), Some("25000")).unwrap(), (10000, 25000));
        assert!(port_range(Some("20"), Some("10")).unwrap_err().to_string().contains("greater"));
        assert!(port_range(Some("x"), None).unwrap_err().to_string().contains("PLUGIN_MIN_PORT"));
    }

    #[tokio::test]
    async fn tcp_listener_binds_loopback_in_range() {
        let Listener::Tcp { addr, .. } = bind_tcp().unwrap() else { panic!("tcp expected") };
        assert!(addr.ip().is_loopback());
    }
}
