/// A trie over path segments whose leaves list candidate rules.
///
/// Each node has literal children (hashed by bytes), a `*` child and a `**` child. Matching
/// walks the request path once; a `**` child is tried at every remaining depth, so the work
/// grows with the path's depth and the number of `**` along one pattern, never with the
/// number of rules.
package struct PathTrie: Sendable {
    struct Node: Sendable {
        var children: [ByteKey: Int32] = [:]
        var star: Int32 = -1
        var doubleStar: Int32 = -1
        var rules: [Int32] = []
    }

    private(set) var nodes: [Node] = [Node()]

    /// The number of nodes, root included.
    package var nodeCount: Int { self.nodes.count }

    /// Adds `rule` at the end of `pattern`'s branch.
    mutating func insert(_ pattern: PathPattern, rule: Int32) {
        var current = 0
        for segment in pattern.segments {
            current = Int(self.child(of: current, for: segment))
        }
        if self.nodes[current].rules.last != rule { self.nodes[current].rules.append(rule) }
    }

    private mutating func child(of parent: Int, for segment: PathPattern.Segment) -> Int32 {
        let existing: Int32
        switch segment {
        case .literal(let text): existing = self.nodes[parent].children[ByteKey(text[...])] ?? -1
        case .star: existing = self.nodes[parent].star
        case .doubleStar: existing = self.nodes[parent].doubleStar
        }
        if existing >= 0 { return existing }
        let index = Int32(self.nodes.count)
        self.nodes.append(Node())
        switch segment {
        case .literal(let text): self.nodes[parent].children[ByteKey(text[...])] = index
        case .star: self.nodes[parent].star = index
        case .doubleStar: self.nodes[parent].doubleStar = index
        }
        return index
    }

    /// Hands `visitor` every rule on a branch that matches the normalized `path` (a rule may come more than once).
    ///
    /// The visitor travels `inout` through the recursion, so its state is passed by address: a
    /// closure capturing the request would be re-created, and its captures copied, at every node.
    func forEachCandidate<Visitor: PathTrieVisitor>(path: String, _ visitor: inout Visitor) {
        let utf8 = path.utf8
        // `/` has no segments; otherwise segments start after the leading slash.
        let start: String.Index? = utf8.count <= 1 ? nil : utf8.index(after: utf8.startIndex)
        self.visit(0, path: path, at: start, &visitor)
    }

    private func visit<Visitor: PathTrieVisitor>(
        _ index: Int32, path: String, at position: String.Index?, _ visitor: inout Visitor
    ) {
        let node = self.nodes[Int(index)]
        if node.doubleStar >= 0 {
            // `**` consumes zero or more segments: continue from every remaining position.
            var next = position
            while true {
                self.visit(node.doubleStar, path: path, at: next, &visitor)
                guard let current = next else { break }
                next = Self.segment(in: path, at: current).next
            }
        }
        guard let position else {
            for rule in node.rules { visitor.visit(rule: rule) }
            return
        }
        let (segment, next) = Self.segment(in: path, at: position)
        if let child = node.children[ByteKey(segment)] { self.visit(child, path: path, at: next, &visitor) }
        if node.star >= 0, !segment.isEmpty { self.visit(node.star, path: path, at: next, &visitor) }
    }

    /// The segment starting at `position` and where the next one starts (`nil` when it was the last).
    @inline(__always)
    private static func segment(in path: String, at position: String.Index) -> (segment: Substring, next: String.Index?)
    {
        let utf8 = path.utf8
        let found: Int?? = utf8.withContiguousStorageIfAvailable { bytes in
            let start = utf8.distance(from: utf8.startIndex, to: position)
            return bytes[start...].firstIndex(of: UInt8(ascii: "/"))
        }
        let slash: String.Index?
        if let found {
            slash = found.map { utf8.index(utf8.startIndex, offsetBy: $0) }
        } else {
            slash = utf8[position...].firstIndex(of: UInt8(ascii: "/"))
        }
        guard let slash else { return (path[position...], nil) }
        return (path[position..<slash], utf8.index(after: slash))
    }
}

/// Receives the rules a ``PathTrie`` walk reaches.
protocol PathTrieVisitor {
    mutating func visit(rule: Int32)
}

/// A dictionary key that hashes and compares bytes, not Unicode-equivalent characters.
struct ByteKey: Hashable, Sendable {
    let text: Substring

    init(_ text: Substring) { self.text = text }

    static func == (lhs: ByteKey, rhs: ByteKey) -> Bool { ASCII.equal(lhs.text, rhs.text) }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = self.text.utf8.withContiguousStorageIfAvailable {
            hasher.combine(bytes: UnsafeRawBufferPointer($0))
        }
        if hashed == nil {
            // Same bytes, same hash: copy to contiguous storage rather than hashing byte by byte.
            Array(self.text.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
        hasher.combine(self.text.utf8.count)
    }
}
