/// An HTTP request method, compared byte for byte (methods are case-sensitive).
package struct HTTPMethod: Hashable, Sendable, CustomStringConvertible {
    /// The method token as sent.
    package let rawValue: String
    /// The method's decision-tree bucket: one per standard method, plus ``otherBucket``.
    package let bucket: Int

    /// The standard methods, in bucket order.
    package static let standard = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]
    /// The bucket of every method that is not in ``standard``.
    package static let otherBucket = standard.count
    /// The number of buckets, ``standard`` plus one for the rest.
    package static let bucketCount = standard.count + 1

    package init(_ rawValue: String) {
        self.rawValue = rawValue
        self.bucket = Self.standard.firstIndex(of: rawValue) ?? Self.otherBucket
    }

    package var description: String { self.rawValue }
}
