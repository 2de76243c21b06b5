/// Where a bundle comes from.
package enum BundleSource: Sendable {
    /// A directory: a bundle laid out on disk, or a plain policy directory without a manifest.
    case directory(String)
    /// The bytes of a `.tar.gz` bundle (an upload, a fetched URL, a file read by the caller).
    case archive([UInt8])
}
