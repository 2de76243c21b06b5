package import GatehouseCore

/// The gateway profile: how an AuthZEN question becomes the ``AuthzRequest`` the same HTTP
/// request through Envoy would have produced (deploy/AUTHZEN.md has the table).
///
/// - `subject {type, id}`: `id` is the caller's identity as Envoy forwards it (`source.principal`:
///   a SPIFFE ID or an X-Road client). The PDP trusts the evaluator's assertion, as AuthZEN PDPs
///   do, so it counts exactly where a policy trusts a forwarded principal (`trustForwardedIdentity`).
///   `properties.token` is a bearer token, sent as `Authorization: Bearer …` and verified by the
///   identity layer as from Envoy (JWT rules see its claims); `properties.certificate` a
///   URL-encoded PEM client certificate, verified like a forwarded one; `properties.address` the
///   client's IP address.
/// - `action {name}`: the HTTP method.
/// - `resource {type: route, id}`: `id` is the path, query included; `properties.host` the
///   `Host`, `properties.scheme` `http`/`https`, `properties.headers` further request headers,
///   `properties.context_extensions` the Envoy route's `context_extensions` (which select a policy).
package enum AuthZENMapping {
    /// Why an evaluation could not be mapped: a missing entity or a value of the wrong kind.
    package struct Problem: Error, Sendable, Hashable {
        /// Stable snake_case code: `missing_subject`, `unsupported_resource_type`, …
        package var code: String
        /// What is wrong and how to fix it.
        package var message: String
    }

    /// The resource type of the gateway profile.
    package static let routeType = "route"

    /// Maps one (defaults already filled in) evaluation.
    ///
    /// - Parameters:
    ///   - evaluation: The question.
    ///   - requestID: The call's `X-Request-ID`, kept as the request's id (decision log `request_id`).
    ///   - time: When the question is asked.
    ///   - paths: The server's path normalization.
    /// - Throws: ``Problem`` for a missing entity or an unsupported or malformed field.
    package static func request(
        for evaluation: AuthZENDTO.Evaluation, requestID: String?, time: UnixTime,
        paths: PathNormalizer.Configuration
    ) throws(Problem) -> AuthzRequest {
        guard let subject = evaluation.subject, subject.type != nil, let subjectID = subject.id else {
            throw Problem(
                code: "missing_subject",
                message:
                    "The evaluation has no subject with a type and an id; send 'subject': {'type': 'identity', 'id': …}."
            )
        }
        guard let method = evaluation.action?.name, !method.isEmpty else {
            throw Problem(
                code: "missing_action", message: "The evaluation has no action name; send 'action': {'name': 'GET'}.")
        }
        guard let resource = evaluation.resource, let resourceType = resource.type, let path = resource.id else {
            throw Problem(
                code: "missing_resource",
                message:
                    "The evaluation has no resource with a type and an id; send 'resource': {'type': 'route', 'id': '/path'}."
            )
        }
        guard resourceType == Self.routeType else {
            throw Problem(
                code: "unsupported_resource_type",
                message:
                    "The resource type '\(resourceType)' is not served; this PDP answers the gateway profile, resource type 'route'."
            )
        }
        guard path.hasPrefix("/") else {
            throw Problem(
                code: "invalid_resource", message: "The route '\(path)' is not an absolute path; start it with '/'.")
        }
        let properties = resource.properties ?? [:]
        let headers = try Self.headers(subject: subject, resource: properties)
        var request = AuthzRequest(
            method: method, path: path, host: try Self.text(properties["host"], "resource.properties.host") ?? "",
            scheme: try Self.text(properties["scheme"], "resource.properties.scheme") ?? "http", headers: headers,
            source: try Self.source(subjectID, properties: subject.properties ?? [:]),
            contextExtensions: try Self.contextExtensions(properties["context_extensions"]),
            time: time, id: requestID, paths: paths)
        request.properties = Self.entityProperties(of: evaluation)
        return request
    }

    /// The entities' `properties` as rules read them (`properties: {subject.department: …}`): every
    /// member as sent, except the subject's credentials, which count only once verified.
    static func entityProperties(of evaluation: AuthZENDTO.Evaluation) -> EntityProperties {
        var objects: [PropertyEntity: [String: ClaimValue]] = [:]
        for (entity, sent) in [
            (PropertyEntity.subject, evaluation.subject?.properties), (.resource, evaluation.resource?.properties),
            (.action, evaluation.action?.properties),
        ] {
            guard var sent, !sent.isEmpty else { continue }
            if entity == .subject {
                sent["token"] = nil
                sent["certificate"] = nil
            }
            objects[entity] = sent
        }
        return EntityProperties(objects)
    }

    /// The request headers: `resource.properties.headers` and the subject's bearer token.
    private static func headers(
        subject: AuthZENDTO.Entity, resource: [String: AuthZENValue]
    ) throws(Problem) -> [(String, String)] {
        var headers: [(String, String)] = []
        switch resource["headers"] {
        case nil, .null?: break
        case .object(let fields)?:
            for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .string(let text): headers.append((name, text))
                case .array(let values):
                    for value in values {
                        guard let text = value.string else { throw Self.notText("resource.properties.headers.\(name)") }
                        headers.append((name, text))
                    }
                default: throw Self.notText("resource.properties.headers.\(name)")
                }
            }
        default:
            throw Problem(
                code: "invalid_resource",
                message: "resource.properties.headers is not an object; send {'name': 'value' or ['value', …]}.")
        }
        if let token = try Self.text(subject.properties?["token"], "subject.properties.token") {
            headers.removeAll { $0.0.lowercased() == "authorization" }
            headers.append(("authorization", "Bearer \(token)"))
        }
        return headers
    }

    /// `resource.properties.context_extensions`: the route's Envoy `context_extensions` (policy selection).
    private static func contextExtensions(_ value: AuthZENValue?) throws(Problem) -> [String: String] {
        var extensions: [String: String] = [:]
        switch value {
        case nil, .null?: break
        case .object(let fields)?:
            for (key, value) in fields {
                guard let text = value.string else {
                    throw Self.notText("resource.properties.context_extensions.\(key)")
                }
                extensions[key] = text
            }
        default:
            throw Problem(
                code: "invalid_resource",
                message: "resource.properties.context_extensions is not an object; send {'key': 'value'}.")
        }
        return extensions
    }

    /// The connection's peer: the asserted principal, a forwarded certificate, the address.
    private static func source(_ id: String, properties: [String: AuthZENValue]) throws(Problem) -> Peer {
        var peer = Peer(principal: id.isEmpty ? nil : id)
        peer.certificate = try Self.text(properties["certificate"], "subject.properties.certificate")
        if let address = try Self.text(properties["address"], "subject.properties.address") {
            guard let parsed = IPAddress(address) else {
                throw Problem(
                    code: "invalid_subject",
                    message: "subject.properties.address '\(address)' is not an IP address; send e.g. '192.0.2.7'.")
            }
            peer.address = parsed
        }
        return peer
    }

    private static func text(_ value: AuthZENValue?, _ field: String) throws(Problem) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw Self.notText(field)
        }
    }

    private static func notText(_ field: String) -> Problem {
        Problem(code: "invalid_field", message: "\(field) is not a string; send it as JSON text.")
    }
}
