extension DecisionTree {
    /// Turns the matched rules into the decision: deny overrides allow, no allow means deny.
    func decide(
        _ policy: CompiledPolicy, _ match: RuleMatch, request: AuthzRequest, identity: Identity,
        caller: consuming AuditedCaller
    ) -> Decision {
        let shadows = match.shadows.map { index in
            ShadowMatch(rule: policy.rules[Int(index)].name, action: policy.rules[Int(index)].action)
        }
        if match.deny != .max {
            let rule = policy.rules[Int(match.deny)]
            return self.denial(
                rule.deniedResponse ?? policy.forbiddenResponse, reason: .deniedByRule, policy: policy,
                request: request, identity: identity, rule: rule.name, shadows: shadows, caller: caller)
        }
        if match.allow != .max {
            return self.allowance(
                policy, request: request, identity: identity, rule: policy.rules[Int(match.allow)].name,
                shadows: shadows, caller: caller)
        }
        if !identity.isAuthenticated, policy.authentication.acceptsCredentials {
            return self.denial(
                policy.unauthenticatedResponse, reason: .missingCredentials, policy: policy, request: request,
                identity: identity, shadows: shadows, caller: caller,
                appending: policy.authentication.acceptsBearerTokens
                    ? Self.wwwAuthenticate(realm: policy.authentication.realm, failure: nil) : nil)
        }
        return self.denial(
            policy.forbiddenResponse, reason: .noMatchingRule, policy: policy, request: request, identity: identity,
            shadows: shadows, caller: caller)
    }

    /// The 401 (or configured status) for a credential that failed verification.
    func credentialDenial(
        _ policy: CompiledPolicy, _ failure: CredentialFailure, request: AuthzRequest, identity: Identity,
        caller: consuming AuditedCaller
    ) -> Decision {
        var shape = policy.unauthenticatedResponse
        if failure.kind == .clientCertificate { shape.status = policy.authentication.invalidCertificateStatus }
        return self.denial(
            shape, reason: failure.reason, reasonDetail: failure.detail, policy: policy, request: request,
            identity: identity, caller: caller,
            appending: failure.kind == .token
                ? Self.wwwAuthenticate(realm: policy.authentication.realm, failure: failure) : nil)
    }

    /// A denial made before any policy applies (bad path, no policy).
    func globalDenial(status: UInt16, reason: DecisionReason, identity: Identity) -> Decision {
        Decision(
            outcome: .deny, status: status, reason: reason, subject: identity.subject, policyRevision: self.revision)
    }

    /// A denial in `shape`, with `header` after the shape's headers (`WWW-Authenticate`).
    private func denial(
        _ shape: DeniedResponseShape,
        reason: DecisionReason,
        reasonDetail: DecisionReason? = nil,
        policy: CompiledPolicy,
        request: AuthzRequest,
        identity: Identity,
        rule: String? = nil,
        shadows: [ShadowMatch] = [],
        caller: consuming AuditedCaller,
        appending header: HeaderMutation? = nil
    ) -> Decision {
        var headers =
            shape.renderedHeaders ?? AllowResponseShape.render(shape.headers, request: request, identity: identity)
        if let header { headers.append(header) }
        return Decision(
            outcome: .deny, status: shape.status, reason: reason, reasonDetail: reasonDetail, policy: policy.name,
            rule: rule, shadowMatches: shadows, headersToSet: headers, body: shape.body, subject: identity.subject,
            policyRevision: self.revision, caller: caller)
    }

    private func allowance(
        _ policy: CompiledPolicy, request: AuthzRequest, identity: Identity, rule: String, shadows: [ShadowMatch],
        caller: consuming AuditedCaller
    ) -> Decision {
        let response = policy.allowResponse
        var removeHeaders = response.removeHeaders
        var removeQuery = response.removeQueryParameters
        if let token = identity.token, !policy.authentication.forwardedIssuers.contains(token.issuer) {
            // Credentials are stripped before the upstream unless the issuer is configured to forward them.
            switch token.source {
            case .header("authorization"): removeHeaders = response.removeHeadersWithAuthorization
            case .header(let name): if !removeHeaders.contains(name) { removeHeaders.append(name) }
            case .query(let name): if !removeQuery.contains(name) { removeQuery.append(name) }
            case .cookie: break
            }
        }
        return Decision(
            outcome: .allow, status: 200, reason: .allowed, policy: policy.name, rule: rule, shadowMatches: shadows,
            headersToSet: response.headerMutations(request: request, identity: identity),
            headersToRemove: removeHeaders,
            queryParametersToSet: response.queryMutations(request: request, identity: identity),
            queryParametersToRemove: removeQuery,
            subject: identity.subject, policyRevision: self.revision, caller: caller)
    }

    /// `WWW-Authenticate` per RFC 6750 §3; the description is reduced to safe characters and never holds the token.
    static func wwwAuthenticate(realm: String, failure: CredentialFailure?) -> HeaderMutation {
        func quoted(_ text: String) -> String {
            String(
                text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }.map(
                    Character.init))
        }
        var value = "Bearer realm=\"\(quoted(realm))\""
        if let failure {
            value += ", error=\"invalid_token\", error_description=\"\(quoted(failure.description))\""
        }
        return HeaderMutation(name: "www-authenticate", value: value, action: .overwrite)
    }
}
