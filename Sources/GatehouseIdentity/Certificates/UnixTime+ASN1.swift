import Foundation
import GatehouseCore
import SwiftASN1

extension UnixTime {
    /// The same instant as a `Date`, for swift-certificates.
    var date: Date {
        Date(timeIntervalSince1970: TimeInterval(self.seconds) + TimeInterval(self.nanoseconds) / 1_000_000_000)
    }

    /// The instant `date` names, to the nanosecond.
    init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        self.init(seconds: Int64(seconds), nanoseconds: Int32(((interval - seconds) * 1_000_000_000).rounded(.down)))
    }

    /// An X.509 `Time` (RFC 5280 §4.1.2.5): a `UTCTime` or a `GeneralizedTime` node.
    init(asn1Time node: ASN1Node) throws {
        switch node.identifier {
        case .utcTime:
            let time = try UTCTime(derEncoded: node)
            self.init(year: time.year, month: time.month, day: time.day, seconds: Self.seconds(time))
        case .generalizedTime:
            let time = try GeneralizedTime(derEncoded: node)
            self.init(year: time.year, month: time.month, day: time.day, seconds: Self.seconds(time))
        default:
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    private static func seconds(_ time: UTCTime) -> Int64 {
        Int64(time.hours * 3600 + time.minutes * 60 + time.seconds)
    }

    private static func seconds(_ time: GeneralizedTime) -> Int64 {
        Int64(time.hours * 3600 + time.minutes * 60 + time.seconds)
    }

    /// Midnight UTC of a proleptic Gregorian date plus `seconds`, by the days-from-civil formula.
    private init(year: Int, month: Int, day: Int, seconds: Int64) {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = Int64(era * 146_097 + dayOfEra - 719_468)
        self.init(seconds: days * 86_400 + seconds)
    }
}
