import Foundation
import GatehouseCore

extension DecisionID {
    /// A new identifier for a decision made now: the wall clock's milliseconds and 80 bits from
    /// the system's random number generator.
    package static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let time = UnixTime(seconds: Int64(now.tv_sec), nanoseconds: Int32(now.tv_nsec))
        return self.make(at: time, entropy: (generator.next(), generator.next()))
    }

    /// A new identifier with no time in it (128 random bits), for names that must not share a
    /// prefix with one made at the same moment, such as an instance id made from its first digits.
    package static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return self.hex(generator.next(), generator.next())
    }
}
