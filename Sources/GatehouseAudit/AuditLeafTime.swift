package import GatehouseCore

/// The leaf encoding's one time form: UTC, fixed width, nanoseconds, `2026-12-06T00:35:12.123456789Z`.
///
/// Fixed width so that times sort as text (the store's time column and index rely on it).
/// Years are four digits: a time before 0000-01-01 or after 9999-12-31 is written as that bound,
/// which no clock this code runs under produces.
package enum AuditLeafTime {
    /// The length of every formatted time, in bytes.
    package static let width = 30

    /// `0000-01-01T00:00:00Z` and `9999-12-31T23:59:59Z` as Unix seconds.
    private static let earliest: Int64 = -62_167_219_200
    private static let latest: Int64 = 253_402_300_799

    /// The fixed-width text of `time`.
    package static func format(_ time: UnixTime) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.width)
        Self.write(time, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the fixed-width text of `time` to `bytes`.
    static func write(_ time: UnixTime, into bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: Self.width))
        bytes.withUnsafeMutableBufferPointer { buffer in
            Self.write(time, to: buffer.baseAddress! + start)  // width > 0 bytes were just appended: non-nil
        }
    }

    /// Writes the fixed-width text of `time` to the ``width`` bytes at `target`.
    ///
    /// Every field's digits are taken with constant divisors (multiplications once compiled), not
    /// a loop of divisions: the writer formats each record's time twice (body and key step).
    static func write(_ time: UnixTime, to target: UnsafeMutablePointer<UInt8>) {
        var seconds = time.seconds
        var nanoseconds = Int64(time.nanoseconds)
        if seconds < Self.earliest || (nanoseconds < 0 && seconds == Self.earliest) {
            (seconds, nanoseconds) = (Self.earliest, 0)
        } else if seconds > Self.latest || (nanoseconds >= 1_000_000_000 && seconds == Self.latest) {
            (seconds, nanoseconds) = (Self.latest, 999_999_999)
        } else {
            // An out-of-range fraction carries into the seconds, as UnixTime's arithmetic would.
            seconds += nanoseconds.floorDivided(by: 1_000_000_000)
            nanoseconds = nanoseconds.floorModulo(1_000_000_000)
        }
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = Int(seconds.floorModulo(86_400))
        let (year, month, day) = Self.civil(fromDays: days)
        Self.two(Int(year) / 100, at: target)
        Self.two(Int(year) % 100, at: target + 2)
        target[4] = UInt8(ascii: "-")
        Self.two(Int(month), at: target + 5)
        target[7] = UInt8(ascii: "-")
        Self.two(Int(day), at: target + 8)
        target[10] = UInt8(ascii: "T")
        Self.two(secondOfDay / 3600, at: target + 11)
        target[13] = UInt8(ascii: ":")
        Self.two(secondOfDay / 60 % 60, at: target + 14)
        target[16] = UInt8(ascii: ":")
        Self.two(secondOfDay % 60, at: target + 17)
        target[19] = UInt8(ascii: ".")
        // Nine digits of nanoseconds: one, then four pairs.
        let fraction = Int(nanoseconds)
        target[20] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction / 100_000_000)
        let low = fraction % 100_000_000
        Self.two(low / 1_000_000, at: target + 21)
        Self.two(low / 10_000 % 100, at: target + 23)
        Self.two(low / 100 % 100, at: target + 25)
        Self.two(low % 100, at: target + 27)
        target[29] = UInt8(ascii: "Z")
    }

    /// Writes `value` (0–99) as two digits.
    @inline(__always)
    private static func two(_ value: Int, at target: UnsafeMutablePointer<UInt8>) {
        target[0] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10)
        target[1] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10)
    }

    /// Parses exactly the fixed-width form; `nil` for anything else (another width, a field out
    /// of range, a date that does not exist).
    package static func parse(_ text: some Collection<UInt8>) -> UnixTime? {
        let bytes = Array(text)
        guard bytes.count == Self.width else { return nil }
        let separators: [(Int, Character)] = [
            (4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (29, "Z"),
        ]
        for (offset, separator) in separators where bytes[offset] != separator.asciiValue {
            return nil
        }
        guard let year = Self.number(bytes, 0, 4), let month = Self.number(bytes, 5, 2),
            let day = Self.number(bytes, 8, 2), let hour = Self.number(bytes, 11, 2),
            let minute = Self.number(bytes, 14, 2), let second = Self.number(bytes, 17, 2),
            let fraction = Self.number(bytes, 20, 9)
        else { return nil }
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day), hour < 24,
            minute < 60, second < 60
        else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        return UnixTime(seconds: days * 86_400 + hour * 3600 + minute * 60 + second, nanoseconds: Int32(fraction))
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int64? {
        var value: Int64 = 0
        for byte in bytes[start..<start + count] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil and civil_from_days (proleptic Gregorian calendar).
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func floorModulo(_ divisor: Int64) -> Int64 {
        self - self.floorDivided(by: divisor) * divisor
    }
}
