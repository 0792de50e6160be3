//! CPU time and memory of a process, from Linux's `/proc`.

use serde::Serialize;

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sample {
    /// User plus system CPU time, all threads.
    pub cpu_secs: f64,
    /// Resident set size now.
    pub rss_kb: u64,
    /// Highest resident set size since the process started.
    pub hwm_kb: u64,
}

/// Reads `/proc/<pid>` (`self` for this process); `None` when the process
/// is gone or the files are not as expected.
pub fn sample(pid: &str) -> Option<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(Sample { cpu_secs: cpu_secs(&stat)?, rss_kb: kb(&status, "VmRSS:")?, hwm_kb: kb(&status, "VmHWM:")? })
}

/// utime + stime (fields 14 and 15) of a `stat` line. The command name in
/// field 2 may hold spaces and parentheses, so fields are counted after
/// its last `)`.
fn cpu_secs(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SEC)
}

/// The whole machine's CPU time, from `/proc/stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Host {
    pub cpus: usize,
    /// Busy (not idle, not iowait) CPU time summed over CPUs.
    pub busy_secs: f64,
    pub total_secs: f64,
}

pub fn host() -> Option<Host> {
    parse_host(&std::fs::read_to_string("/proc/stat").ok()?)
}

fn parse_host(stat: &str) -> Option<Host> {
    let all = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = all.split_whitespace().filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3)? + ticks.get(4).copied().unwrap_or(0);
    let cpus =
        stat.lines().filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit)).count();
    Some(Host { cpus, busy_secs: (total - idle) as f64 / TICKS_PER_SEC, total_secs: total as f64 / TICKS_PER_SEC })
}

/// Datagrams dropped for a full receive buffer by the UDP sockets bound to
/// `ports` (IPv4 and IPv6), from `/proc/net/udp*`.
pub fn udp_drops(ports: &[u16]) -> u64 {
    ["/proc/net/udp", "/proc/net/udp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|table| socket_drops(&table, ports))
        .sum()
}

fn socket_drops(table: &str, ports: &[u16]) -> u64 {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port = u16::from_str_radix(fields.get(1)?.rsplit(':').next()?, 16).ok()?;
            ports.contains(&port).then(|| fields.last()?.parse::<u64>().ok())?
        })
        .sum()
}

/// The machine's count of UDP datagrams dropped for full receive buffers.
pub fn udp_rcvbuf_errors() -> Option<u64> {
    snmp_rcvbuf_errors(&std::fs::read_to_string("/proc/net/snmp").ok()?)
}

fn snmp_rcvbuf_errors(snmp: &str) -> Option<u64> {
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (names, values) = (udp.next()?, udp.next()?);
    let at = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
    values.split_whitespace().nth(at)?.parse().ok()
}

fn kb(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_times_and_sizes() {
        let stat = "1234 (voxide (x) y) S 1 1234 1234 0 -1 4194560 2906 0 0 0 250 75 0 0 20 0 9 0 100 0 0";
        assert_eq!(cpu_secs(stat), Some(3.25));
        assert_eq!(cpu_secs("garbage"), None);
        let status = "Name:\tvoxide\nVmHWM:\t  20480 kB\nVmRSS:\t  10240 kB\n";
        assert_eq!(kb(status, "VmRSS:"), Some(10240));
        assert_eq!(kb(status, "VmHWM:"), Some(20480));
        let stat =
            "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\nintr 1\n";
        assert_eq!(parse_host(stat), Some(Host { cpus: 2, busy_secs: 1.5, total_secs: 10.0 }));
        assert!(host().is_some_and(|h| h.cpus > 0));
        let udp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n  1: 0100007F:9C40 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 7\n  2: 0100007F:9C41 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 5\n";
        assert_eq!(socket_drops(udp, &[0x9c40]), 7);
        assert_eq!(socket_drops(udp, &[0x9c40, 0x9c41, 1]), 12);
        let snmp = "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\nUdp: 10 0 3 9 3\nUdpLite: x\n";
        assert_eq!(snmp_rcvbuf_errors(snmp), Some(3));
        let me = sample("self").expect("this process");
        assert!(me.rss_kb > 0 && me.hwm_kb >= me.rss_kb);
    }
}
