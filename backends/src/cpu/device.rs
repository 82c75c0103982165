//! What the host CPU is: model, cores, SIMD, caches.

use crate::backend::DeviceInfo;

fn cpuinfo_field(text: &str, field: &str) -> Option<String> {
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

fn widest_simd(flags: &str) -> String {
    let flags: Vec<&str> = flags.split_whitespace().collect();
    ["avx512f", "avx2", "avx", "sse4_2", "asimd", "neon"]
        .into_iter()
        .find(|f| flags.contains(f))
        .unwrap_or("none")
        .to_string()
}

fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, mult) = match t.strip_suffix('K') {
        Some(d) => (d, 1024),
        None => match t.strip_suffix('M') {
            Some(d) => (d, 1024 * 1024),
            None => (t, 1),
        },
    };
    digits.parse::<u64>().ok().map(|v| v * mult)
}

/// Data and unified caches of CPU 0 as `(level, bytes)`, innermost first.
pub fn caches() -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    for index in 0..8 {
        let base = format!("/sys/devices/system/cpu/cpu0/cache/index{index}");
        let read = |f: &str| std::fs::read_to_string(format!("{base}/{f}")).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        if kind.trim() == "Instruction" {
            continue;
        }
        if let (Ok(level), Some(bytes)) = (level.trim().parse::<u32>(), parse_size(&size)) {
            out.push((level, bytes));
        }
    }
    out
}

/// Describes this machine's CPU.
pub fn describe(compiler: &str) -> DeviceInfo {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    DeviceInfo {
        backend: "cpu".to_string(),
        name: cpuinfo_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown CPU".into()),
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        simd: widest_simd(&cpuinfo_field(&cpuinfo, "flags").unwrap_or_default()),
        caches: caches(),
        compiler: compiler.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_simd_parse() {
        assert_eq!(parse_size("32768K\n"), Some(32 << 20));
        assert_eq!(parse_size("2M"), Some(2 << 20));
        assert_eq!(widest_simd("fpu sse4_2 avx avx2 fma"), "avx2");
        assert_eq!(widest_simd("fpu"), "none");
    }
}
