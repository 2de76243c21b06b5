/// What a bundle holds: its name, revision, creation time and the SHA-256 of every file.
///
/// Written as `.manifest.json` at the bundle's root. The same fields (without `created`) are the
/// payload of each signature in `.signatures.json`, so a verified signature vouches for exactly
/// this file list.
package struct BundleManifest: Sendable, Hashable, Codable {
    /// The bundle's name, e.g. `gov-exchange`.
    package var name: String
    /// Given with `--revision`, else derived: `sha256:` + the first 16 hex digits of ``contentDigest(of:)``.
    package var revision: String
    /// When the bundle was built, RFC 3339 UTC.
    package var created: String
    /// Every file of the bundle except `.manifest.json` and `.signatures.json`, sorted by name.
    package var files: [BundleFileHash]

    /// A manifest with `files` sorted by name.
    package init(name: String, revision: String, created: String, files: [BundleFileHash]) {
        self.name = name
        self.revision = revision
        self.created = created
        self.files = files.sorted { $0.name < $1.name }
    }

    /// The revision derived from the files: `sha256:` + 16 hex digits of their combined digest.
    package static func derivedRevision(of files: [BundleFileHash]) -> String {
        let digest = BundleHashing.contentDigest(of: files)
        return "sha256:" + String(digest.prefix(16))
    }
}

/// One file of a bundle and its hash.
package struct BundleFileHash: Sendable, Hashable, Codable {
    /// The path relative to the bundle's root, `/`-separated, e.g. `keys/issuer.jwks.json`.
    package var name: String
    /// Lower-case hex digest.
    package var hash: String
    /// Always ``BundleFileHash/sha256``; anything else is refused.
    package var algorithm: String

    /// The only algorithm accepted.
    package static let sha256 = "SHA-256"

    /// A file hash; `algorithm` defaults to SHA-256.
    package init(name: String, hash: String, algorithm: String = BundleFileHash.sha256) {
        self.name = name
        self.hash = hash
        self.algorithm = algorithm
    }
}
