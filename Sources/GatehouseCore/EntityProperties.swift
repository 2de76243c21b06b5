/// One of the three entities an AuthZEN question names, whose `properties` a policy may read.
package enum PropertyEntity: String, Sendable, Hashable, CaseIterable, Comparable {
    case subject
    case resource
    case action

    package static func < (lhs: PropertyEntity, rhs: PropertyEntity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The `properties` an AuthZEN caller sent with the subject, resource and action, for rules that
/// condition on facts no HTTP request carries (`properties: {subject.department: finance}`).
///
/// Only the AuthZEN door fills them; a check from Envoy (either mode) has none, so a rule that
/// requires a property never matches Envoy's traffic. The credentials the gateway profile maps
/// (`subject.properties.token`, `.certificate`) are not properties: the verified identity stands
/// for them.
package struct EntityProperties: Sendable, Hashable {
    /// Each entity's properties object; an entity that sent none is absent.
    package var objects: [PropertyEntity: [String: ClaimValue]]

    /// No properties (every request from Envoy).
    package init(_ objects: [PropertyEntity: [String: ClaimValue]] = [:]) {
        self.objects = objects
    }

    /// The value at `path` (split at dots) in `entity`'s properties, or `nil` when absent.
    @inline(__always)
    package func value(of entity: PropertyEntity, at path: [String]) -> ClaimValue? {
        guard let members = self.objects[entity], let first = path.first, let value = members[first] else { return nil }
        return value.value(at: path.dropFirst())
    }
}
