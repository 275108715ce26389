//! How DocSpace matches a login's address against `trustedIps`, as
//! `common/ASC.Core.Common/Core/IPAddressRange.cs` (`MatchIPs`, v3.7.2) does it, faults included:
//!
//! - `a-b` (a `-` after the first character): both halves trimmed and parsed; the address must be
//!   of the same family and between them, byte by byte — correct for IPv4 and IPv6;
//! - `a/n` (a `/` after the first character): `System.Net.IPNetwork.Parse`, which throws on host
//!   bits after the prefix, a prefix over 32/128 or stray characters — the exception becomes HTTP
//!   500 on the login. Then only the first 32 bits are compared, with the shift count taken
//!   modulo 32: IPv4 prefixes work, `/0` matches only the base address, IPv6 `/48` acts as /16 and
//!   `/64` or longer as /32;
//! - anything else: an exact, case-sensitive comparison with the address's `ToString()`.

use std::net::IpAddr;

/// `GetIpWithoutPort` (v3.7.1+): `[v6]:port` and `v4:port` lose the port.
fn without_port(ip: &str) -> &str {
    if let Some(rest) = ip.strip_prefix('[')
        && let Some((v6, _)) = rest.split_once(']')
    {
        return v6;
    }
    match ip.split_once(':') {
        Some((v4, port)) if !port.contains(':') => v4,
        _ => ip,
    }
}

/// .NET's `IPAddress.Parse`, for the forms a portal would hold; anything else throws.
fn parse(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|_| format!("An invalid IP address was specified: {s:?}"))
}

/// `System.Net.IPNetwork.Parse`: strict CIDR, no host bits after the prefix.
fn parse_network(s: &str) -> Result<(IpAddr, u32), String> {
    let bad = || "An invalid IP network was specified.".to_string();
    let (addr, prefix) = s.rsplit_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let prefix: u32 = prefix.parse().map_err(|_| bad())?;
    let bits = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > bits {
        return Err(bad());
    }
    let host_bits_set = match addr {
        IpAddr::V4(a) => prefix < 32 && u32::from(a) & (u32::MAX >> prefix) != 0,
        IpAddr::V6(a) => prefix < 128 && u128::from(a) & (u128::MAX >> prefix) != 0,
    };
    if host_bits_set {
        return Err(bad());
    }
    Ok((addr, prefix))
}

fn octets(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// Whether `request_ip` matches the trusted entry `restriction`; `Err` is the exception the
/// server would throw (HTTP 500).
pub fn match_ips(request_ip: &str, restriction: &str) -> Result<bool, String> {
    let ip = without_port(request_ip);
    if restriction.find('-').is_some_and(|i| i > 0) {
        let (lo, hi) = restriction.split_once('-').expect("checked");
        let (lo, hi, addr) = (parse(lo.trim())?, parse(hi.trim())?, parse(ip)?);
        if lo.is_ipv4() != addr.is_ipv4() {
            return Ok(false);
        }
        let (lo, hi, addr) = (octets(lo), octets(hi), octets(addr));
        return Ok(lo <= addr && addr <= hi);
    }
    if restriction.find('/').is_some_and(|i| i > 0) {
        let (net, prefix) = parse_network(restriction)?;
        let addr = parse(ip)?;
        if net.is_ipv4() != addr.is_ipv4() {
            return Ok(false);
        }
        let first32 = |a: IpAddr| {
            let o = octets(a);
            u32::from_be_bytes([o[0], o[1], o[2], o[3]])
        };
        // `-1 << (32 - PrefixLength)` on an int: C# masks the shift count to 5 bits.
        let shift = (32i64 - i64::from(prefix)).rem_euclid(32) as u32;
        let mask = u32::MAX << shift;
        return Ok(first32(addr) & mask == first32(net) & mask);
    }
    Ok(ip == restriction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_as_docspace_does() {
        assert_eq!(match_ips("10.1.2.3", "10.0.0.0/8"), Ok(true));
        assert_eq!(match_ips("11.1.2.3", "10.0.0.0/8"), Ok(false));
        assert_eq!(match_ips("10.0.0.5", "10.0.0.1-10.0.0.9"), Ok(true));
        assert_eq!(match_ips("10.0.0.5", " 10.0.0.1 - 10.0.0.9 "), Ok(true), "range halves are trimmed");
        assert_eq!(match_ips("2001:db8::5", "2001:db8::-2001:db8::ffff"), Ok(true), "ranges work for IPv6");
        assert_eq!(match_ips("10.0.0.1", "10.0.0.1"), Ok(true));
        assert_eq!(match_ips("10.0.0.1", " 10.0.0.1"), Ok(false), "single addresses compare as strings");
        assert_eq!(match_ips("2001:db8::1", "2001:DB8::0001"), Ok(false));
        assert_eq!(match_ips("10.0.0.1:5000", "10.0.0.1"), Ok(true), "the port is dropped");
    }

    #[test]
    fn cidr_blocks_throw_or_lie_as_docspace_does() {
        assert!(match_ips("10.0.0.1", "10.0.0.1/8").is_err(), "host bits set: the login answers 500");
        assert!(match_ips("10.0.0.1", "10.0.0.0/33").is_err());
        assert!(match_ips("10.0.0.1", "10.0.0.0/8 ").is_err());
        // /0 masks nothing: only the base address itself matches.
        assert_eq!(match_ips("10.0.0.1", "0.0.0.0/0"), Ok(false));
        // IPv6 prefixes act on the first 32 bits: /48 as /16, /64 as /32.
        assert_eq!(match_ips("2001:db8:ffff::1", "2001:db8::/48"), Ok(true), "/48 should not match another /48");
        assert_eq!(match_ips("2001:db9::1", "2001::/48"), Ok(true));
        assert_eq!(match_ips("2001:db8:1::1", "2001:db8::/64"), Ok(true));
        // Families never meet.
        assert_eq!(match_ips("::ffff:10.0.0.1", "10.0.0.0/8"), Ok(false));
    }
}
