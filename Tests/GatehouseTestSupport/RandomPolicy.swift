package import GatehouseCore

/// Random rules, requests and identities over small vocabularies, so that matches, misses and
/// every outcome all occur often; shared by the property tests of the tree and of the cache.
package enum RandomPolicy {
    package static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PROPFIND", "LOCK", "MKCOL", "get"]
    package static let segments = ["a", "b", "c", "d"]

    package static func pattern(_ random: inout SplitMix64) throws -> PathPattern {
        while true {
            let depth = random.below(4)
            let parts = (0..<depth).map { _ in random.pick(["a", "b", "c", "*", "**"]) }
            let text = "/" + parts.joined(separator: "/") + (random.chance(15) ? "/" : "")
            if let pattern = try? PathPattern.parse(text).get() { return pattern }
        }
    }

    package static func condition(_ random: inout SplitMix64) throws -> Condition {
        switch random.below(9) {
        case 0: return .header(name: "x-h", random.pick([.equals("1"), .equals("2"), .prefix("1"), .present, .absent]))
        case 1: return .authenticated(random.chance(50))
        case 2: return .sourceCIDRs([try Fixture.cidr("10.0.0.0/8")], negated: random.chance(40))
        case 3: return .claim(path: ["role"], random.pick([.equals(.string("admin")), .exists(false), .exists(true)]))
        case 4: return .claim(path: ["groups"], .contains(.string(random.pick(["x", "y"]))))
        case 5: return .hosts([try Fixture.host(random.pick(["a.example", "*.example"]))], negated: random.chance(40))
        case 6: return .paths([try RandomPolicy.pattern(&random)], negated: random.chance(70))
        case 7:
            let text = random.pick(["spiffe://t/ns/*", "spiffe://t/ns/a"])
            guard let pattern = PrincipalPattern.spiffe(text) else {
                throw Fixture.Invalid(description: "principal pattern '\(text)'")
            }
            return .principals([pattern], negated: random.chance(40))
        default: return .methods([random.pick(RandomPolicy.methods)], negated: random.chance(50))
        }
    }

    package static func rules(_ random: inout SplitMix64, count: Int) throws -> [CompiledRule] {
        try (0..<count).map { index in
            // Deny rules are fewer and narrower, so that allows, denials and no-match all occur often.
            let action: RuleAction = random.chance(75) ? .allow : .deny
            let methods = random.chance(40) ? [] : (0...random.below(3)).map { _ in random.pick(RandomPolicy.methods) }
            let paths =
                action == .allow && random.chance(10)
                ? [] : try (0...random.below(2)).map { _ in try RandomPolicy.pattern(&random) }
            let everyPath = paths.isEmpty || paths.contains { $0.segments.first == .doubleStar }
            let conditionCount = action == .deny || everyPath ? 1 + random.below(2) : random.below(3)
            return CompiledRule(
                name: "r\(index)",
                action: action,
                isShadow: random.chance(10),
                methods: methods,
                excludesMethods: random.chance(25),
                paths: paths,
                conditions: try (0..<conditionCount).map { _ in try RandomPolicy.condition(&random) },
                location: Fixture.location(index + 1))
        }
    }

    package static func request(_ random: inout SplitMix64) throws -> AuthzRequest {
        let path: String
        switch random.below(100) {
        case 0..<4: path = "*"
        case 4..<6: path = ""
        default:
            let parts = (0..<random.below(5)).map { _ in random.pick(RandomPolicy.segments) }
            let trailingSlash = random.chance(20) ? "/" : ""
            path = "/" + parts.joined(separator: "/") + trailingSlash + (random.chance(10) ? "?q=1" : "")
        }
        let headers: [(String, String)] =
            switch random.below(5) {
            case 0: []
            case 1: [("X-H", "1")]
            case 2: [("x-h", "2")]
            case 3: [("x-h", "12")]
            default: [("x-h", "2"), ("X-H", "1")]
            }
        let source: IPAddress? = random.chance(20) ? nil : try Fixture.address(random.pick(["10.1.2.3", "192.0.2.1"]))
        return AuthzRequest(
            method: random.pick(RandomPolicy.methods), path: path, host: random.pick(["a.example", "b.example", ""]),
            headers: headers, source: Peer(address: source))
    }

    package static func identity(_ random: inout SplitMix64) -> Identity {
        switch random.below(4) {
        case 0: return .anonymous
        case 1: return Identity(peer: PeerIdentity(spiffeID: random.pick(["spiffe://t/ns/a", "spiffe://t/other"])))
        default:
            return Fixture.token(claims: [
                "role": .string(random.pick(["admin", "user"])),
                "groups": .array(random.chance(50) ? [.string("x")] : [.string("y"), .string("z")]),
            ])
        }
    }
}
