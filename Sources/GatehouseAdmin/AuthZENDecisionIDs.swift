import Crypto
import Foundation
import GatehouseCore

/// The decision log ids of a batch's items, made together: the batch's time, and their random bits
/// as one ChaCha20 key stream under a fresh random key (a CSPRNG's output, from a few `getrandom`
/// calls a batch), where one id at a time costs two `getrandom` calls (`DecisionID.make()`; 3.8 %
/// of a batch of 100 in the profile of 0aafa1e).
///
/// Each id has the shape of every decision id (``DecisionID/make(at:entropy:)``: the time's
/// milliseconds and 80 random bits), so ids of one batch share their time prefix and differ in
/// the rest.
struct AuthZENDecisionIDs: Sendable {
    private let time: UnixTime
    /// Two random words an item.
    private let entropy: [UInt64]

    /// - Parameters:
    ///   - count: How many items.
    ///   - time: The batch's time, the ids' time prefix.
    init(count: Int, at time: UnixTime) {
        self.time = time
        var words = [UInt64](repeating: 0, count: 2 * count)
        words.withUnsafeMutableBytes { Self.fill($0) }
        self.entropy = words
    }

    /// The id of item `index`.
    subscript(index: Int) -> String {
        DecisionID.make(at: self.time, entropy: (self.entropy[2 * index], self.entropy[2 * index + 1]))
    }

    /// Fills `bytes` with ChaCha20's key stream under a random key and nonce (the encryption of zeros).
    private static func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        guard bytes.count > 0 else { return }
        let zeros = [UInt8](repeating: 0, count: bytes.count)
        // A fresh random key and nonce each batch; sealing cannot fail for a key of the right size.
        if let sealed = try? ChaChaPoly.seal(zeros, using: SymmetricKey(size: .bits256), nonce: ChaChaPoly.Nonce()) {
            sealed.ciphertext.copyBytes(to: bytes)
            return
        }
        var generator = SystemRandomNumberGenerator()
        for index in 0..<bytes.count { bytes[index] = generator.next() }
    }
}
