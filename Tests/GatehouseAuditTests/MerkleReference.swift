import Crypto
import GatehouseAudit

/// RFC 9162's definitions (§2.1.1, §2.1.3.1, §2.1.4.1) written as literally as possible, over
/// whole leaf lists and recursion, to check the production code against.
enum MerkleReference {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// MTH(D[n]).
    static func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        let n = leaves.count
        if n == 0 { return sha256([]) }
        if n == 1 { return sha256([0x00] + leaves[leaves.startIndex]) }
        let k = largestPowerOfTwo(below: n)
        let start = leaves.startIndex
        return sha256([0x01] + mth(leaves[start..<start + k]) + mth(leaves[(start + k)...]))
    }

    /// PATH(m, D[n]).
    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        let n = leaves.count
        if n <= 1 { return [] }
        let k = largestPowerOfTwo(below: n)
        let start = leaves.startIndex
        if m < k {
            return path(m, leaves[start..<start + k]) + [mth(leaves[(start + k)...])]
        }
        return path(m - k, leaves[(start + k)...]) + [mth(leaves[start..<start + k])]
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    static func proof(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] { subproof(m, leaves, true) }

    static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        let n = leaves.count
        if m == n { return b ? [] : [mth(leaves)] }
        let k = largestPowerOfTwo(below: n)
        let start = leaves.startIndex
        if m <= k {
            return subproof(m, leaves[start..<start + k], b) + [mth(leaves[(start + k)...])]
        }
        return subproof(m - k, leaves[(start + k)...], false) + [mth(leaves[start..<start + k])]
    }

    /// The largest power of two smaller than `n` (n > 1).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// `count` distinct leaves of varying length.
    static func leaves(_ count: Int) -> [[UInt8]] {
        (0..<count).map { index in
            Array(repeating: UInt8(truncatingIfNeeded: index), count: index % 5) + [
                UInt8(index & 0xFF), UInt8(index >> 8),
            ]
        }
    }
}
