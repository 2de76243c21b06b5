/// How much of an archive or directory the bundle reader accepts before it refuses the bundle
/// (`archive_too_large`): a defence against decompression bombs and runaway directories.
package struct BundleLimits: Sendable, Hashable {
    /// Total uncompressed bytes of every file; default 64 MiB.
    package var maximumTotalBytes: Int
    /// Number of files and directories; default 10,000.
    package var maximumFileCount: Int
    /// One file's size; default 16 MiB (the policy compiler's own limit per file).
    package var maximumFileBytes: Int

    /// The limits; every argument has the documented default.
    package init(maximumTotalBytes: Int = 64 << 20, maximumFileCount: Int = 10_000, maximumFileBytes: Int = 16 << 20) {
        self.maximumTotalBytes = maximumTotalBytes
        self.maximumFileCount = maximumFileCount
        self.maximumFileBytes = maximumFileBytes
    }

    /// The default limits.
    package static var defaults: BundleLimits { BundleLimits() }
}
