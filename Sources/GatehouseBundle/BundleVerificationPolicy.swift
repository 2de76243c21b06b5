package import GatehouseCore

/// What a bundle must prove before it is staged.
///
/// `requireSignature` is one switch, independent of which keys are configured: when it is on, a
/// bundle without `.signatures.json`, or whose signatures do not verify under `verifier`, is
/// refused, and so is every bundle when no verifier is configured (OPA's GHSA-g2pf-6v5v-qcc8
/// accepted a stripped signature file when no key id was set). When it is off, a signature that
/// is present is still checked if a verifier is configured, and a bad one refused.
package struct BundleVerificationPolicy: Sendable {
    /// Refuse unsigned or wrongly signed bundles, and plain directories without a manifest.
    package var requireSignature: Bool
    /// Checks each compact JWS of `.signatures.json` against the configured bundle keys.
    package var verifier: (any BundleSignatureVerifier)?

    /// A policy; `verifier` is `nil` when no bundle keys are configured.
    package init(requireSignature: Bool, verifier: (any BundleSignatureVerifier)? = nil) {
        self.requireSignature = requireSignature
        self.verifier = verifier
    }

    /// Development: no signature required, none checked.
    package static var unsigned: BundleVerificationPolicy { BundleVerificationPolicy(requireSignature: false) }
}
