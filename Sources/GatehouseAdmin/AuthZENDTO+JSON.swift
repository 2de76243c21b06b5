import GatehouseCore

/// The request bodies from parsed JSON (``AuthZENJSON``), with the field types the specification
/// gives: an entity, `properties`, `context` and `options` are objects, `type`, `id`, `name` and
/// `evaluations_semantic` strings, `evaluations` an array of objects. A member that is absent or
/// `null` is left out; one of another kind is an ``AuthZENJSONError`` naming its path
/// (`evaluations[2].resource.id`). Members the specification does not define are ignored.
extension AuthZENDTO.Evaluation {
    /// - Parameter json: The whole body of `POST /access/v1/evaluation`.
    /// - Throws: ``AuthZENJSONError`` when it is not an object or a member has the wrong kind.
    package init(json: AuthZENValue) throws(AuthZENJSONError) {
        try self.init(members: AuthZENShape.body(json), at: nil)
    }

    /// - Parameters:
    ///   - members: The object's members.
    ///   - item: Its index in `evaluations`, `nil` for the body itself; errors name the path
    ///     (built only then: a well-formed body costs no path strings).
    init(members: [String: AuthZENValue], at item: Int?) throws(AuthZENJSONError) {
        let prefix = { () -> String in item.map { "evaluations[\($0)]." } ?? "" }
        self.init(
            subject: try AuthZENDTO.Entity(json: members["subject"], at: prefix() + "subject"),
            action: try AuthZENDTO.Action(json: members["action"], at: prefix() + "action"),
            resource: try AuthZENDTO.Entity(json: members["resource"], at: prefix() + "resource"),
            context: try AuthZENShape.object(members["context"], at: prefix() + "context"))
    }
}

extension AuthZENDTO.Evaluations {
    /// - Parameter json: The whole body of `POST /access/v1/evaluations`.
    /// - Throws: ``AuthZENJSONError`` when it is not an object or a member has the wrong kind.
    package init(json: AuthZENValue) throws(AuthZENJSONError) {
        let members = try AuthZENShape.body(json)
        var items: [AuthZENDTO.Evaluation]?
        switch members["evaluations"] {
        case nil, .null?: items = nil
        case .array(let elements)?:
            var evaluations: [AuthZENDTO.Evaluation] = []
            evaluations.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard case .object(let item) = element else {
                    throw AuthZENShape.mismatch("evaluations[\(index)]", element, "an object")
                }
                evaluations.append(try AuthZENDTO.Evaluation(members: item, at: index))
            }
            items = evaluations
        case let other?: throw AuthZENShape.mismatch("evaluations", other, "an array of evaluations")
        }
        let options = try AuthZENShape.object(members["options"], at: "options").map {
            (options) throws(AuthZENJSONError) in
            AuthZENDTO.Options(
                evaluationsSemantic: try AuthZENShape.text(
                    options["evaluations_semantic"], at: "options.evaluations_semantic"))
        }
        self.init(
            defaults: try AuthZENDTO.Evaluation(members: members, at: nil), evaluations: items, options: options)
    }
}

extension AuthZENDTO.Entity {
    /// A subject or resource, `nil` when absent or `null`.
    init?(json: AuthZENValue?, at path: @autoclosure () -> String) throws(AuthZENJSONError) {
        guard let members = try AuthZENShape.object(json, at: path()) else { return nil }
        self.init(
            type: try AuthZENShape.text(members["type"], at: path() + ".type"),
            id: try AuthZENShape.text(members["id"], at: path() + ".id"),
            properties: try AuthZENShape.object(members["properties"], at: path() + ".properties"))
    }
}

extension AuthZENDTO.Action {
    /// An action, `nil` when absent or `null`.
    init?(json: AuthZENValue?, at path: @autoclosure () -> String) throws(AuthZENJSONError) {
        guard let members = try AuthZENShape.object(json, at: path()) else { return nil }
        self.init(
            name: try AuthZENShape.text(members["name"], at: path() + ".name"),
            properties: try AuthZENShape.object(members["properties"], at: path() + ".properties"))
    }
}

/// The kind checks of the body's members.
private enum AuthZENShape {
    static func body(_ json: AuthZENValue) throws(AuthZENJSONError) -> [String: AuthZENValue] {
        guard case .object(let members) = json else { throw Self.mismatch("the body", json, "an object") }
        return members
    }

    static func object(
        _ value: AuthZENValue?, at path: @autoclosure () -> String
    ) throws(AuthZENJSONError) -> [String: AuthZENValue]? {
        switch value {
        case nil, .null?: return nil
        case .object(let members)?: return members
        case let other?: throw Self.mismatch(path(), other, "an object")
        }
    }

    static func text(_ value: AuthZENValue?, at path: @autoclosure () -> String) throws(AuthZENJSONError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw Self.mismatch(path(), other, "a string")
        }
    }

    static func mismatch(_ path: String, _ found: AuthZENValue, _ expected: String) -> AuthZENJSONError {
        let kind: String
        switch found {
        case .null: kind = "null"
        case .bool: kind = "a boolean"
        case .number: kind = "a number"
        case .string: kind = "a string"
        case .array: kind = "an array"
        case .object: kind = "an object"
        }
        return AuthZENJSONError("\(path) is \(kind) where \(expected) was expected")
    }
}
