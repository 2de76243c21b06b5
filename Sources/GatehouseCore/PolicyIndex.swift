/// Finds the policy that governs a request from its host and context extensions.
///
/// Exactly one policy governs a request: the most specific one that selects it. Specificity
/// is, in order: more required context extensions; an exact host over a `*.suffix` host over
/// no host condition; a longer suffix; then the policy name, so the choice never depends on
/// file order. For every host named in any policy the ranked candidate list is computed at
/// compile time, so selection is one or a few hash lookups and a scan of a short list.
struct PolicyIndex: Sendable {
    /// The ranked lists; ``keys`` maps a host to its list's position here.
    private var lists: [[Int32]] = []
    /// Owner ``exactOwner``: exact host names; owner ``suffixOwner``: the suffixes of `*.suffix` patterns.
    private var keys = ByteTable()
    private var fallback: [Int32] = []
    private static let exactOwner: Int32 = 0
    private static let suffixOwner: Int32 = 1

    init(policies: [CompiledPolicy]) {
        var exactPolicies: [String: [Int32]] = [:]
        var suffixPolicies: [String: [Int32]] = [:]
        var fallbackPolicies: [Int32] = []
        for (index, policy) in policies.enumerated() {
            let hosts = policy.selector.hosts
            if hosts.isEmpty || hosts.contains(.any) { fallbackPolicies.append(Int32(index)) }
            for host in hosts {
                switch host {
                case .exact(let name): exactPolicies[name, default: []].append(Int32(index))
                case .suffix(let suffix): suffixPolicies[suffix, default: []].append(Int32(index))
                case .any: break
                }
            }
        }
        func ranked(host: String?, suffixes: [String]) -> [Int32] {
            var best: [Int32: Rank] = [:]
            func offer(_ index: Int32, _ rank: Rank) {
                if let current = best[index], current >= rank { return }
                best[index] = rank
            }
            let contextCount = { (index: Int32) in policies[Int(index)].selector.contextExtensions.count }
            if let host { for index in exactPolicies[host] ?? [] { offer(index, Rank(contextCount(index), 2, 0)) } }
            for suffix in suffixes {
                for index in suffixPolicies[suffix] ?? [] {
                    offer(index, Rank(contextCount(index), 1, suffix.utf8.count))
                }
            }
            for index in fallbackPolicies { offer(index, Rank(contextCount(index), 0, 0)) }
            return best.sorted { lhs, rhs in
                if lhs.value != rhs.value { return lhs.value > rhs.value }
                return policies[Int(lhs.key)].name < policies[Int(rhs.key)].name
            }.map(\.key)
        }
        for host in exactPolicies.keys {
            self.keys.set(Int32(self.lists.count), owner: Self.exactOwner, host)
            self.lists.append(ranked(host: host, suffixes: Self.parentSuffixes(of: host)))
        }
        for suffix in suffixPolicies.keys {
            self.keys.set(Int32(self.lists.count), owner: Self.suffixOwner, suffix)
            self.lists.append(ranked(host: nil, suffixes: [suffix] + Self.parentSuffixes(of: suffix)))
        }
        self.fallback = ranked(host: nil, suffixes: [])
    }

    /// The policies that may select `host`, most specific first.
    func candidates(host: String) -> [Int32] {
        let list: Int32? = ByteTable.withBytes(host) { bytes in
            if let list = self.keys.value(owner: Self.exactOwner, bytes) { return list }
            var start = 0
            while let dot = bytes[start...].firstIndex(of: UInt8(ascii: ".")) {
                start = dot + 1
                let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
                if let list = self.keys.value(owner: Self.suffixOwner, rest) { return list }
            }
            return nil
        }
        return list.map { self.lists[Int($0)] } ?? self.fallback
    }

    /// `a.b.c` → `b.c`, `c`.
    private static func parentSuffixes(of name: String) -> [String] {
        var result: [String] = []
        var rest = name[...]
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if !rest.isEmpty { result.append(String(rest)) }
        }
        return result
    }

    private struct Rank: Comparable {
        var contextCount: Int
        var hostKind: Int
        var suffixLength: Int

        init(_ contextCount: Int, _ hostKind: Int, _ suffixLength: Int) {
            self.contextCount = contextCount
            self.hostKind = hostKind
            self.suffixLength = suffixLength
        }

        static func < (lhs: Rank, rhs: Rank) -> Bool {
            (lhs.contextCount, lhs.hostKind, lhs.suffixLength) < (rhs.contextCount, rhs.hostKind, rhs.suffixLength)
        }
    }
}
