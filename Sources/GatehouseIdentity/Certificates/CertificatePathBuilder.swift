import GatehouseCore
import SwiftASN1
import X509

/// Builds certification paths from a client certificate to a root of the trust bundle, within
/// a fixed budget of signature checks.
///
/// A depth-first search, as swift-certificates' `Verifier` does it (RFC 4158): from the path's
/// last certificate, the certificates whose subject is its issuer are tried, roots first, then
/// the bundle's intermediates and the client's untrusted extras; within each, those whose
/// subject key identifier matches the authority key identifier first. A path that reaches a
/// root is handed to the policy; the first one the policy accepts wins. An intermediate's
/// signature is checked only when the search takes it, so the preferred issuer is followed to a
/// root before any other candidate costs a check.
///
/// Every signature check counts, and one search may spend at most ``maximumSignatureChecks``.
/// A path grows only by a certificate whose signature verified, so the paths tried and the
/// policy evaluations are bounded by the same number, and the work besides by that number times
/// the candidates of one name. Many CAs sharing one name with different keys (a bundle re-keyed
/// over years, or a hostile chain) make an unbounded search exponential (RFC 4158 §5); here they
/// cost at most that many checks and then a `certificate_path_limit_exceeded` refusal.
/// swift-certificates' `Verifier` has no such bound, which is why Gatehouse builds paths itself
/// and uses the library for parsing and signatures.
struct CertificatePathBuilder: Sendable {
    /// The most signature checks one search spends; a path through the bundle normally takes two or three.
    static let maximumSignatureChecks = 32
    /// The longest path tried, leaf and root included.
    static let maximumPathLength = 10

    private let roots: [DistinguishedName: [Certificate]]
    private let rootSet: Set<Certificate>
    private let intermediates: [DistinguishedName: [Certificate]]
    private let handledExtensions: [ASN1ObjectIdentifier]

    /// - Parameters:
    ///   - roots: The trust anchors; a path ends at one of them.
    ///   - intermediates: The bundle's other CAs, candidates for the middle of a path.
    ///   - handledExtensions: The extensions the policy enforces; a candidate marking another one
    ///     critical is skipped.
    init(roots: [Certificate], intermediates: [Certificate], handledExtensions: [ASN1ObjectIdentifier]) {
        self.roots = Dictionary(grouping: roots, by: \.subject)
        self.rootSet = Set(roots)
        self.intermediates = Dictionary(grouping: intermediates, by: \.subject)
        self.handledExtensions = handledExtensions
    }

    /// The first path from `leaf` (leaf first, root last) that `policy` accepts, or why there is none.
    ///
    /// - Parameters:
    ///   - leaf: The client certificate.
    ///   - extras: Certificates the client sent along: untrusted, only candidates for the middle.
    ///   - policy: What a whole path must satisfy, with a code for each failure.
    /// - Returns: The path, or the first policy failure met, ``DecisionReason/certificateUntrusted``
    ///   when no path reached a root, or ``DecisionReason/certificatePathLimitExceeded`` when the
    ///   budget ran out first.
    func build(
        leaf: Certificate, extras: [Certificate], policy: some CodedVerifierPolicy
    ) -> Result<[Certificate], CertificateProblem> {
        var search = Search(budget: Self.maximumSignatureChecks)
        // A root presented as the client certificate is its own path (the policy then refuses a CA).
        if self.rootSet.contains(leaf), let path = search.offer([leaf], to: policy) { return .success(path) }
        let forwarded = Dictionary(grouping: extras, by: \.subject)
        // Paths whose last certificate's signature is not checked yet: checked when taken, so the
        // preferred issuer is followed to a root before any other candidate costs a check.
        var pending: [[Certificate]] = [[leaf]]
        while let path = pending.popLast() {
            let tip = path[path.count - 1]
            if path.count > 1 {
                guard let verified = search.verify(tip, issued: path[path.count - 2]) else {
                    return .failure(search.limitProblem(leaf))
                }
                guard verified else { continue }
            }
            for root in self.candidates(self.roots[tip.issuer] ?? [], after: path) {
                guard let verified = search.verify(root, issued: tip) else {
                    return .failure(search.limitProblem(leaf))
                }
                if verified, let complete = search.offer(path + [root], to: policy) { return .success(complete) }
            }
            guard path.count + 2 <= Self.maximumPathLength else { continue }
            let parents = self.candidates(
                (self.intermediates[tip.issuer] ?? []) + (forwarded[tip.issuer] ?? []), after: path)
            // A stack: push the least preferred first, so the preferred one is taken next.
            pending += parents.reversed().map { path + [$0] }
        }
        return .failure(
            search.firstProblem
                ?? CertificateProblem(
                    .certificateUntrusted,
                    "The client certificate \(leaf.displayName) does not chain to a root of the trust bundle."))
    }

    /// `certificates` that may extend `path`, each once, the best issuer of its tip first: no
    /// critical extension the policy does not enforce, and none already in the path (same
    /// subject, key and subject alternative names: RFC 4158 §5.2 loop detection).
    private func candidates(_ certificates: [Certificate], after path: [Certificate]) -> [Certificate] {
        guard !certificates.isEmpty else { return [] }
        var seen: Set<Certificate> = []
        let usable = certificates.filter { candidate in
            seen.insert(candidate).inserted
                && !candidate.extensions.contains { $0.critical && !self.handledExtensions.contains($0.oid) }
                && !path.contains { Self.isSameCA($0, candidate) }
        }
        guard let authorityKey = try? path.last?.extensions.authorityKeyIdentifier?.keyIdentifier else {
            return usable
        }
        // Stable: matching subject key identifier first, then none, then a different one.
        let rank = { (certificate: Certificate) -> Int in
            guard let subjectKey = try? certificate.extensions.subjectKeyIdentifier?.keyIdentifier else { return 1 }
            return subjectKey == authorityKey ? 0 : 2
        }
        return usable.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(
            \.element)
    }

    private static func isSameCA(_ left: Certificate, _ right: Certificate) -> Bool {
        left.subject == right.subject && left.publicKey == right.publicKey
            && left.extensions[oid: .X509ExtensionID.subjectAlternativeName]
                == right.extensions[oid: .X509ExtensionID.subjectAlternativeName]
    }
}

/// The state of one search: the signature checks left and the first policy failure met.
private struct Search {
    var budget: Int
    var spent = 0
    var firstProblem: CertificateProblem?

    /// Whether `issuer`'s key verifies `certificate`'s signature; `nil` when the budget is spent.
    mutating func verify(_ issuer: Certificate, issued certificate: Certificate) -> Bool? {
        guard self.spent < self.budget else { return nil }
        self.spent += 1
        return issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// `path` when `policy` accepts it; otherwise remembers the first failure and returns `nil`.
    mutating func offer(_ path: [Certificate], to policy: some CodedVerifierPolicy) -> [Certificate]? {
        guard let problem = policy.problem(in: path) else { return path }
        self.firstProblem = self.firstProblem ?? problem
        return nil
    }

    func limitProblem(_ leaf: Certificate) -> CertificateProblem {
        CertificateProblem(
            .certificatePathLimitExceeded,
            "Building a path for the client certificate \(leaf.displayName) took more than \(self.budget) signature checks without reaching a trusted root; too many candidate CAs share the names in its chain."
        )
    }
}
