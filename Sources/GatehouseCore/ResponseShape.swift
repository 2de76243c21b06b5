/// A header to add, whose value is a template.
package struct HeaderTemplate: Sendable, Hashable {
    /// The header name, lower-case.
    package var name: String
    /// The value template.
    package var value: ValueTemplate
    /// How to apply it.
    package var action: HeaderAppendAction

    package init(name: String, value: ValueTemplate, action: HeaderAppendAction) {
        self.name = name
        self.value = value
        self.action = action
    }
}

/// What an allow does to the request on its way to the upstream.
///
/// Literal-only shapes are rendered once at compile time, so the common allow shares the
/// compiled arrays and allocates nothing.
package struct AllowResponseShape: Sendable, Hashable {
    /// Headers to add.
    package let headers: [HeaderTemplate]
    /// Headers to remove.
    package let removeHeaders: [String]
    /// Query parameters to set.
    package let setQueryParameters: [(name: String, value: ValueTemplate)]
    /// Query parameters to remove.
    package let removeQueryParameters: [String]
    /// ``removeHeaders`` plus `authorization`, precomputed so that stripping a verified bearer token allocates nothing.
    package let removeHeadersWithAuthorization: [String]
    private let renderedHeaders: [HeaderMutation]?
    private let renderedQuery: [QueryParameterMutation]?

    package init(
        headers: [HeaderTemplate] = [],
        removeHeaders: [String] = [],
        setQueryParameters: [(name: String, value: ValueTemplate)] = [],
        removeQueryParameters: [String] = []
    ) {
        self.headers = headers
        self.removeHeaders = removeHeaders
        self.setQueryParameters = setQueryParameters
        self.removeQueryParameters = removeQueryParameters
        self.removeHeadersWithAuthorization =
            removeHeaders.contains("authorization") ? removeHeaders : removeHeaders + ["authorization"]
        let literalHeaders = headers.compactMap { header in
            header.value.literalValue.map { HeaderMutation(name: header.name, value: $0, action: header.action) }
        }
        self.renderedHeaders = literalHeaders.count == headers.count ? literalHeaders : nil
        let literalQuery = setQueryParameters.compactMap { parameter in
            parameter.value.literalValue.map { QueryParameterMutation(name: parameter.name, value: $0) }
        }
        self.renderedQuery = literalQuery.count == setQueryParameters.count ? literalQuery : nil
    }

    /// The headers to set for this request; headers whose template has no value are left out.
    package func headerMutations(request: AuthzRequest, identity: Identity) -> [HeaderMutation] {
        if let renderedHeaders = self.renderedHeaders { return renderedHeaders }
        return Self.render(self.headers, request: request, identity: identity)
    }

    /// The query parameters to set for this request.
    package func queryMutations(request: AuthzRequest, identity: Identity) -> [QueryParameterMutation] {
        if let renderedQuery = self.renderedQuery { return renderedQuery }
        return self.setQueryParameters.compactMap { parameter in
            parameter.value.render(request: request, identity: identity).map {
                QueryParameterMutation(name: parameter.name, value: $0)
            }
        }
    }

    static func render(_ headers: [HeaderTemplate], request: AuthzRequest, identity: Identity) -> [HeaderMutation] {
        headers.compactMap { header in
            header.value.render(request: request, identity: identity).map {
                HeaderMutation(name: header.name, value: $0, action: header.action)
            }
        }
    }

    package static func == (lhs: AllowResponseShape, rhs: AllowResponseShape) -> Bool {
        lhs.headers == rhs.headers && lhs.removeHeaders == rhs.removeHeaders
            && lhs.removeQueryParameters == rhs.removeQueryParameters
            && lhs.setQueryParameters.elementsEqual(rhs.setQueryParameters) {
                $0.name == $1.name && $0.value == $1.value
            }
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.headers)
        hasher.combine(self.removeHeaders)
    }
}

/// The response sent to the client when a request is denied.
package struct DeniedResponseShape: Sendable, Hashable {
    /// The HTTP status.
    package var status: UInt16
    /// Headers of the denied response.
    package var headers: [HeaderTemplate] {
        didSet { self.renderedHeaders = Self.literal(self.headers) }
    }
    /// The body.
    package var body: String
    /// ``headers`` rendered once when they are all literal, so that a denial shares them and allocates nothing.
    package private(set) var renderedHeaders: [HeaderMutation]?

    package init(status: UInt16, headers: [HeaderTemplate] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
        self.renderedHeaders = Self.literal(headers)
    }

    private static func literal(_ headers: [HeaderTemplate]) -> [HeaderMutation]? {
        let rendered = headers.compactMap { header in
            header.value.literalValue.map { HeaderMutation(name: header.name, value: $0, action: header.action) }
        }
        return rendered.count == headers.count ? rendered : nil
    }
}
