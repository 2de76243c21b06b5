/// The names a bundle reserves beside its policy files.
///
/// A bundle is the policy directory as `gatehouse serve` reads it (policies, groups, tests, key
/// sets, trust bundles, CRLs) plus these two files at its root. Modelled on OPA's bundles, so
/// that OPA users recognise the signature file.
package enum BundleLayout {
    /// The manifest: name, revision, creation time and the SHA-256 of every other file.
    package static let manifestName = ".manifest.json"
    /// The detached signatures: `{"signatures": ["<compact JWS>", …]}`, each JWS's payload
    /// listing the files and their hashes (OPA's `.signatures.json`).
    package static let signaturesName = ".signatures.json"
}
