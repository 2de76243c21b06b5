import GatehouseCore

extension PolicyParser {
    mutating func response(_ node: YAMLNode) -> ResponseDocument {
        var response = ResponseDocument()
        guard
            let entries = self.reader.mapping(
                node, allowed: ["allow", "unauthenticated", "forbidden"], what: "response")
        else {
            return response
        }
        if let allow = entries["allow"] { response.allow = self.allowResponse(allow) }
        if let node = entries["unauthenticated"],
            let shape = self.deniedResponse(node, defaultStatus: 401, what: "response.unauthenticated")
        {
            response.unauthenticated = shape
        }
        if let node = entries["forbidden"],
            let shape = self.deniedResponse(node, defaultStatus: 403, what: "response.forbidden")
        {
            response.forbidden = shape
        }
        return response
    }

    private mutating func allowResponse(_ node: YAMLNode) -> AllowResponseShape {
        let keys = ["headers", "removeHeaders", "setQueryParameters", "removeQueryParameters"]
        guard let entries = self.reader.mapping(node, allowed: keys, what: "response.allow") else {
            return AllowResponseShape()
        }
        let headers = entries["headers"].map { self.headerTemplates($0, what: "response.allow.headers") } ?? []
        var removeHeaders: [String] = []
        if let node = entries["removeHeaders"],
            let values = self.reader.strings(node, what: "response.allow.removeHeaders")
        {
            removeHeaders = values.compactMap { self.headerName($0.0, at: $0.1) }
        }
        var setQuery: [(name: String, value: ValueTemplate)] = []
        if let node = entries["setQueryParameters"],
            let items = self.reader.list(node, what: "response.allow.setQueryParameters")
        {
            for item in items {
                guard let entry = self.reader.mapping(item, allowed: ["name", "value"], what: "A query parameter"),
                    let nameNode = self.reader.require("name", in: entry, of: item, what: "A query parameter"),
                    let name = self.reader.string(nameNode, what: "A query parameter name"),
                    let valueNode = self.reader.require("value", in: entry, of: item, what: "A query parameter"),
                    let text = self.reader.string(valueNode, what: "A query parameter value"),
                    let template = self.template(text, at: valueNode.location)
                else { continue }
                setQuery.append((name, template))
            }
        }
        var removeQuery: [String] = []
        if let node = entries["removeQueryParameters"],
            let values = self.reader.strings(node, what: "response.allow.removeQueryParameters")
        {
            removeQuery = values.map(\.0)
        }
        return AllowResponseShape(
            headers: headers, removeHeaders: removeHeaders, setQueryParameters: setQuery,
            removeQueryParameters: removeQuery)
    }

    mutating func deniedResponse(_ node: YAMLNode, defaultStatus: UInt16, what: String) -> DeniedResponseShape? {
        guard let entries = self.reader.mapping(node, allowed: ["status", "headers", "body"], what: what) else {
            return nil
        }
        var shape = DeniedResponseShape(status: defaultStatus)
        if let status = entries["status"],
            let value = self.reader.integer(status, in: 300...599, what: "\(what).status")
        {
            shape.status = UInt16(value)
        }
        if let headers = entries["headers"] { shape.headers = self.headerTemplates(headers, what: "\(what).headers") }
        if let body = entries["body"], let text = self.reader.string(body, what: "\(what).body") { shape.body = text }
        return shape
    }

    private mutating func headerTemplates(_ node: YAMLNode, what: String) -> [HeaderTemplate] {
        guard let items = self.reader.list(node, what: what) else { return [] }
        var headers: [HeaderTemplate] = []
        for item in items {
            guard
                let entry = self.reader.mapping(
                    item, allowed: ["name", "value", "action"], what: "A header in \(what)"),
                let nameNode = self.reader.require("name", in: entry, of: item, what: "A header"),
                let rawName = self.reader.string(nameNode, what: "A header name"),
                let name = self.headerName(rawName, at: nameNode.location),
                let valueNode = self.reader.require("value", in: entry, of: item, what: "A header"),
                let text = self.reader.string(valueNode, what: "A header value"),
                let value = self.template(text, at: valueNode.location)
            else { continue }
            var action = HeaderAppendAction.overwrite
            if let actionNode = entry["action"], let word = self.reader.string(actionNode, what: "A header action") {
                if let parsed = HeaderAppendAction(rawValue: word) {
                    action = parsed
                } else {
                    let choices = HeaderAppendAction.allCases.map(\.rawValue).joined(separator: ", ")
                    self.reader.diagnostics.error(
                        .invalidValue, "The header action '\(word)' is not one of \(choices).", at: actionNode.location)
                }
            }
            headers.append(HeaderTemplate(name: name, value: value, action: action))
        }
        return headers
    }

    /// A header name: an HTTP token, returned lower-case.
    mutating func headerName(_ text: String, at location: SourceLocation) -> String? {
        guard ASCII.isToken(text) else {
            self.reader.diagnostics.error(
                .invalidValue,
                "The header name '\(text)' is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~); pseudo-headers cannot be set.",
                at: location)
            return nil
        }
        return ASCII.lowercased(text)
    }

    /// Parses `${attribute}` placeholders; `$$` is a literal `$`.
    mutating func template(_ text: String, at location: SourceLocation) -> ValueTemplate? {
        var parts: [ValueTemplate.Part] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$") {
                literal += "$"
                rest = after.dropFirst()
            } else if after.hasPrefix("{") {
                guard let close = after.firstIndex(of: "}") else {
                    self.reader.diagnostics.error(
                        .invalidValue,
                        "The template '\(text)' has an unclosed '${'; close it with '}' or write '$$' for a literal '$'.",
                        at: location)
                    return nil
                }
                let name = String(after[after.index(after: after.startIndex)..<close])
                guard let attribute = TemplateAttribute(name: name) else {
                    let known = TemplateAttribute.vocabulary.joined(separator: ", ")
                    self.reader.diagnostics.error(
                        .unknownAttribute,
                        "The template '\(text)' names the unknown attribute '\(name)'; known attributes: \(known).",
                        at: location)
                    return nil
                }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.attribute(attribute))
                rest = after[after.index(after: close)...]
            } else {
                literal += "$"
                rest = after
            }
        }
        literal += rest
        if !literal.isEmpty || parts.isEmpty { parts.append(.literal(literal)) }
        return ValueTemplate(parts: parts, source: text)
    }
}
