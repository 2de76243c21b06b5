/// A bundle verified and copied into the ``BundleStore``, ready to be compiled and activated.
package struct StagedBundle: Sendable, Hashable {
    /// The extracted, verified copy inside the store: compile from here. It holds the policy
    /// files plus `.manifest.json` (derived when the source had none) and `.signatures.json`.
    package var directory: String
    /// The manifest the files were checked against.
    package var manifest: BundleManifest
    /// The key ids whose signatures verified, sorted; empty for an unsigned bundle.
    package var signedBy: [String]
    /// Whether the source was a plain policy directory and the manifest was derived from it.
    package var isManifestDerived: Bool

    /// The store's name for this copy (the directory's last component).
    package var storeID: String {
        String(self.directory.split(separator: "/").last ?? "")
    }

    /// A staged bundle.
    package init(directory: String, manifest: BundleManifest, signedBy: [String], isManifestDerived: Bool) {
        self.directory = directory
        self.manifest = manifest
        self.signedBy = signedBy
        self.isManifestDerived = isManifestDerived
    }
}

/// A revision the store keeps after it was activated: for rollback, and for a restart without
/// the source.
package struct KeptBundle: Sendable, Hashable, Codable {
    /// The manifest's revision.
    package var revision: String
    /// The kept copy's directory inside the store.
    package var directory: String
    /// The kept copy's manifest.
    package var manifest: BundleManifest
    /// When it was committed, RFC 3339 UTC.
    package var committedAt: String

    /// A kept revision.
    package init(revision: String, directory: String, manifest: BundleManifest, committedAt: String) {
        self.revision = revision
        self.directory = directory
        self.manifest = manifest
        self.committedAt = committedAt
    }
}
