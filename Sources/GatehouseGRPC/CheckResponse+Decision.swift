package import EnvoyAuthAPI
import GRPCCore
package import GatehouseCore
import SwiftProtobuf

/// Gatehouse's `Decision` → Envoy's `CheckResponse`: the only place the response side of
/// Envoy's API is mapped (compare opa-envoy-plugin's `response.go`); CheckResponse+Wire.swift
/// writes the same fields straight into the direct transport's frame, tested equal.
extension Envoy_Service_Auth_V3_CheckResponse {
    /// Builds the response Envoy applies: allow → OK with header and query mutations; deny →
    /// a non-OK status with the denied HTTP response. Either way the dynamic metadata carries
    /// the decision's `metadata` fields (the server's `envoy.metadata`: by default the decision
    /// id and the reason; ``MetadataFields/full`` adds outcome, status, policy revision, cache
    /// use, policy, rule, subject and shadow rules).
    package init(_ decision: borrowing Decision, decisionID: String, metadata: MetadataFields = .lean) {
        self.init()
        var fields: [String: Google_Protobuf_Value] = [:]
        fields.reserveCapacity(metadata.fields.count)
        for field in metadata.fields {
            guard let value = decision.metadataValue(field, decisionID: decisionID) else { continue }
            fields[field.rawValue] = Google_Protobuf_Value(stringValue: value)
        }
        self.dynamicMetadata = Google_Protobuf_Struct(fields: fields)
        if decision.isAllowed {
            self.status.code = Int32(GRPCCore.Status.Code.ok.rawValue)
            var ok = Envoy_Service_Auth_V3_OkHttpResponse()
            ok.headers = decision.headersToSet.map(Self.headerOption)
            ok.headersToRemove = decision.headersToRemove
            ok.queryParametersToSet = decision.queryParametersToSet.map { parameter in
                var option = Envoy_Config_Core_V3_QueryParameter()
                option.key = parameter.name
                option.value = parameter.value
                return option
            }
            ok.queryParametersToRemove = decision.queryParametersToRemove
            self.okResponse = ok
        } else {
            self.status.code = Int32(Self.statusCode(for: decision).rawValue)
            self.status.message = decision.reason.code
            var denied = Envoy_Service_Auth_V3_DeniedHttpResponse()
            denied.status.code = Envoy_Type_V3_StatusCode(rawValue: Int(decision.status)) ?? .forbidden
            denied.headers = decision.headersToSet.map(Self.headerOption)
            denied.body = decision.body
            self.deniedResponse = denied
        }
    }

    static func statusCode(for decision: Decision) -> GRPCCore.Status.Code {
        switch decision.status {
        case 401: return .unauthenticated
        case 400, 414: return .invalidArgument
        case 503: return .unavailable
        default: return .permissionDenied
        }
    }

    static func headerOption(_ mutation: HeaderMutation) -> Envoy_Config_Core_V3_HeaderValueOption {
        var option = Envoy_Config_Core_V3_HeaderValueOption()
        option.header.key = mutation.name
        option.header.value = mutation.value
        option.appendAction = Self.appendAction(mutation.action)
        return option
    }

    /// Envoy's name for how a header mutation applies (here and in CheckResponse+Wire.swift).
    static func appendAction(
        _ action: HeaderAppendAction
    ) -> Envoy_Config_Core_V3_HeaderValueOption.HeaderAppendAction {
        switch action {
        case .overwrite: .overwriteIfExistsOrAdd
        case .append: .appendIfExistsOrAdd
        case .addIfAbsent: .addIfAbsent
        case .overwriteIfExists: .overwriteIfExists
        }
    }
}
