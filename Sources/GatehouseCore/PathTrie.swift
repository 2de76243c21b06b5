/// A trie over path segments whose leaves list candidate rules.
///
/// Each node has literal children, a `*` child and a `**` child. Matching walks the request
/// path once; a `**` child is tried at every remaining depth, so the work grows with the path's
/// depth and the number of `**` along one pattern, never with the number of rules.
///
/// The literal children of every node sit in one ``ByteTable`` keyed by (parent, segment bytes),
/// and the walk works on the path's UTF-8 bytes by offset: a step hashes the segment's bytes
/// once, and nothing is copied, retained or allocated along the way.
package struct PathTrie: Sendable {
    struct Node: Sendable {
        var star: Int32 = -1
        var doubleStar: Int32 = -1
        var rules: [Int32] = []
    }

    private(set) var nodes: [Node] = [Node()]
    /// Literal children: (parent node, segment) → child node.
    private var children = ByteTable()

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
        case .literal(let text): existing = self.children.value(owner: Int32(parent), text) ?? -1
        case .star: existing = self.nodes[parent].star
        case .doubleStar: existing = self.nodes[parent].doubleStar
        }
        if existing >= 0 { return existing }
        let index = Int32(self.nodes.count)
        self.nodes.append(Node())
        switch segment {
        case .literal(let text): self.children.set(index, owner: Int32(parent), text)
        case .star: self.nodes[parent].star = index
        case .doubleStar: self.nodes[parent].doubleStar = index
        }
        return index
    }

    /// Hands `visitor` every rule on a branch that matches the request's normalized path (a rule
    /// may come more than once), with the request and identity it is checked against.
    ///
    /// The visitor travels `inout` through the recursion, so its state is passed by address, and
    /// the request and identity are passed down borrowed: a closure or a struct holding them would
    /// copy them, retaining every field, at every decision.
    func forEachCandidate<Visitor: PathTrieVisitor>(
        request: AuthzRequest, identity: Identity, _ visitor: inout Visitor
    ) {
        ByteTable.withBytes(request.path) { bytes in
            withUnsafePointer(to: self.children) { children in
                self.nodes.withUnsafeBufferPointer { nodes in
                    let walk = Walk(nodes: nodes, children: children, path: bytes)
                    // `/` has no segments; otherwise segments start after the leading slash.
                    walk.visit(0, at: bytes.count <= 1 ? nil : 1, request, identity, &visitor)
                }
            }
        }
    }

    /// One walk's borrowed state: the nodes, the children table and the path's bytes.
    private struct Walk {
        let nodes: UnsafeBufferPointer<Node>
        let children: UnsafePointer<ByteTable>
        let path: UnsafeRawBufferPointer

        func visit<Visitor: PathTrieVisitor>(
            _ index: Int32, at position: Int?, _ request: AuthzRequest, _ identity: Identity, _ visitor: inout Visitor
        ) {
            let doubleStar = self.nodes[Int(index)].doubleStar
            if doubleStar >= 0 {
                // `**` consumes zero or more segments: continue from every remaining position.
                var next = position
                while true {
                    self.visit(doubleStar, at: next, request, identity, &visitor)
                    guard let current = next else { break }
                    next = self.segment(at: current).next
                }
            }
            guard let position else {
                for rule in self.nodes[Int(index)].rules {
                    visitor.visit(rule: rule, request: request, identity: identity)
                }
                return
            }
            let (end, next) = self.segment(at: position)
            let segment = UnsafeRawBufferPointer(rebasing: self.path[position..<end])
            if let child = self.children.pointee.value(owner: index, segment) {
                self.visit(child, at: next, request, identity, &visitor)
            }
            let star = self.nodes[Int(index)].star
            if star >= 0, end > position { self.visit(star, at: next, request, identity, &visitor) }
        }

        /// Where the segment starting at `position` ends, and where the next one starts (`nil` when it was the last).
        @inline(__always)
        func segment(at position: Int) -> (end: Int, next: Int?) {
            var end = position
            let count = self.path.count
            while end < count {
                if self.path[end] == UInt8(ascii: "/") { return (end, end + 1) }
                end += 1
            }
            return (end, nil)
        }
    }
}

/// Receives the rules a ``PathTrie`` walk reaches.
protocol PathTrieVisitor {
    mutating func visit(rule: Int32, request: AuthzRequest, identity: Identity)
}
