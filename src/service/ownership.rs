//! Which partition of `rta.agent-events` an account's records land on, computed the way the
//! relays' producers compute it, so an instance knows the accounts it owns (and can load their
//! schedules and fire their timers) before their first event arrives.

use crate::settings::PartitionerSetting;

/// Kafka's murmur2 (Java `Utils.murmur2`, librdkafka `murmur2_random` for non-null keys).
pub fn murmur2(data: &[u8]) -> u32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= (rest[2] as u32) << 16;
    }
    if rest.len() >= 2 {
        h ^= (rest[1] as u32) << 8;
    }
    if !rest.is_empty() {
        h ^= rest[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

/// CRC-32 (IEEE, as zlib), librdkafka's `consistent_random` partitioner.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The partition of `key` among `partitions`.
pub fn partition_of(key: &str, partitions: i32, how: PartitionerSetting) -> i32 {
    if partitions <= 1 {
        return 0;
    }
    let n = partitions as u32;
    let p = match how {
        PartitionerSetting::Murmur2 => (murmur2(key.as_bytes()) & 0x7fff_ffff) % n,
        PartitionerSetting::Crc32 => crc32(key.as_bytes()) % n,
    };
    p as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka() {
        // Values from Kafka's UtilsTest.testMurmur2 (as signed ints).
        assert_eq!(murmur2(b"21") as i32, -973932308);
        assert_eq!(murmur2(b"foobar") as i32, -790332482);
        assert_eq!(murmur2(b"a-little-bit-long-string") as i32, -985981536);
        assert_eq!(murmur2(b"a-little-bit-longer-string") as i32, -1486304829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") as i32,
            -58897971
        );
        assert_eq!(murmur2(b"abc") as i32, 479470107);
    }

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn partitions_are_in_range_and_stable() {
        for n in [1, 2, 3, 12] {
            for k in ["acme", "globex", "initech", ""] {
                for how in [PartitionerSetting::Murmur2, PartitionerSetting::Crc32] {
                    let p = partition_of(k, n, how);
                    assert!((0..n).contains(&p));
                    assert_eq!(p, partition_of(k, n, how));
                }
            }
        }
    }
}
