import GatehouseBundle
import Testing

@Suite("Bundle layout")
struct BundleLayoutTests {
    @Test("The manifest and signature files are hidden files at the bundle's root, as OPA names them")
    func names() {
        #expect(BundleLayout.manifestName == ".manifest.json")
        #expect(BundleLayout.signaturesName == ".signatures.json")
    }
}
