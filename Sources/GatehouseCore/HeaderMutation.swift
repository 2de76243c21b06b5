/// How a header is applied when one of the same name may already exist (Envoy's `HeaderValueOption.AppendAction`).
package enum HeaderAppendAction: String, Sendable, Hashable, CaseIterable {
    /// Replace any existing values, or add the header (`OVERWRITE_IF_EXISTS_OR_ADD`).
    case overwrite
    /// Add another value, keeping existing ones (`APPEND_IF_EXISTS_OR_ADD`).
    case append
    /// Add only when the header is absent (`ADD_IF_ABSENT`).
    case addIfAbsent
    /// Replace only when the header exists; otherwise do nothing (`OVERWRITE_IF_EXISTS`).
    case overwriteIfExists
}

/// A header to set, with its append action.
package struct HeaderMutation: Sendable, Hashable {
    /// The header name, lower-case.
    package var name: String
    /// The value.
    package var value: String
    /// How to apply it.
    package var action: HeaderAppendAction

    package init(name: String, value: String, action: HeaderAppendAction) {
        self.name = name
        self.value = value
        self.action = action
    }
}

/// A query parameter to set on the request before it reaches the upstream.
package struct QueryParameterMutation: Sendable, Hashable {
    /// The parameter name.
    package var name: String
    /// The value.
    package var value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
