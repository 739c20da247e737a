package commandtest

import "time"

// Defaults of the initial inventory and identities, exported so tests, the demo and the docs
// agree on them.
const (
	DefaultAPIPath       = "KeyfactorAPI"
	DefaultDomain        = "KEYFACTOR"
	DefaultUsername      = "vault-svc"
	DefaultPassword      = "Sim-Passw0rd!"
	ReadOnlyUsername     = "auditor" // may search and read, may not enroll or revoke (403 0xA0140002)
	ReadOnlyPassword     = "Sim-Auditor0!"
	DefaultClientID      = "vault-plugin"
	DefaultClientSecret  = "sim-client-secret"
	DefaultAudience      = "https://command.kfpki.test/KeyfactorAPI" // the client's registered audience; a request may omit audience
	DefaultScope         = "keyfactor-api"                           // the client's allowed scope; a request may omit scope
	DefaultStaticToken   = "sim-static-token"
	DefaultCAHost        = "ca.kfpki.test"
	DefaultCALogicalName = "KFPKI-Issuing-CA"    // RSA issuing CA; its certificate's CN equals the logical name (as AD CS does)
	ECCALogicalName      = "KFPKI-EC-Issuing-CA" // EC P-256 issuing CA under the same root
	DefaultCAEmail       = "pki@kfpki.test"      // E= in the EC issuing CA's subject
	RootCAName           = "KFPKI Root CA"
	DefaultTemplate      = "WebServer"         // CSR enrollment allowed, 30 days validity
	ApprovalTemplate     = "WebServerApproval" // RequiresApproval=true
	PFXOnlyTemplate      = "PFXOnly"           // AllowedEnrollmentTypes=1 (no CSR bit)
	ShortLivedTemplate   = "ShortLived"        // CSR allowed, 2 minutes validity (agent renewal tests)
)

// Default metadata field names (all optional).
const (
	MetadataOwner       = "Owner"       // String
	MetadataAppCode     = "AppCode"     // String
	MetadataCostCenter  = "CostCenter"  // Integer
	MetadataEnvironment = "Environment" // MultipleChoice "dev,test,prod"
)

// Permission strings in the Command 11+ security-claim style. A User or OAuthClient with nil
// Permissions holds all of them.
const (
	PermEnrollCSR        = "/certificates/enrollment/csr/"
	PermCertificatesRead = "/certificates/collections/read/"
	PermRevoke           = "/certificates/collections/revoke/"
	// Inferred: the download claim name is not evidenced; Command's claim tree puts it beside read.
	PermDownload     = "/certificates/collections/download/"
	PermMetadataRead = "/metadata/types/read/"
	PermPatternsRead = "/enrollment_pattern/read/"
	// Inferred: the claim names for CA/template reads and the classic approval workflow are not
	// evidenced; they follow the same "/area/object/action/" shape.
	PermCARead         = "/certificate_authorities/read/"
	PermTemplatesRead  = "/templates/read/"
	PermWorkflowRead   = "/workflows/instances/read/"
	PermWorkflowManage = "/workflows/instances/manage/"
)

// readOnlyPermissions is what the auditor identity holds: everything that reads, nothing that
// changes state.
var readOnlyPermissions = []string{
	PermCertificatesRead, PermDownload, PermMetadataRead, PermPatternsRead,
	PermCARead, PermTemplatesRead, PermWorkflowRead,
}

// ReadOnlyPermissions returns the permissions of the default read-only (auditor) identity.
func ReadOnlyPermissions() []string { return append([]string(nil), readOnlyPermissions...) }

// defaultUsers are the Basic identities used when WithUsers is not given.
func defaultUsers() []User {
	return []User{
		{Domain: DefaultDomain, Username: DefaultUsername, Password: DefaultPassword},
		{Domain: DefaultDomain, Username: ReadOnlyUsername, Password: ReadOnlyPassword, Permissions: readOnlyPermissions},
	}
}

func defaultOAuthClients() []OAuthClient {
	return []OAuthClient{{
		ClientID:     DefaultClientID,
		ClientSecret: DefaultClientSecret,
		Audience:     DefaultAudience,
		Scopes:       []string{DefaultScope},
	}}
}

// DefaultInventory returns the inventory a server starts with when WithInventory is not given.
func DefaultInventory() *Inventory {
	return &Inventory{
		CAs: []InventoryCA{
			// AD CS enterprise CA: its subject is CN plus the domain's DC= components.
			{HostName: DefaultCAHost, LogicalName: DefaultCALogicalName, KeyType: "RSA", KeyBits: 2048, DomainComponents: []string{"kfpki", "test"}},
			// A CA whose subject carries E= (emailAddress), which Go prints as a dotted OID.
			{HostName: DefaultCAHost, LogicalName: ECCALogicalName, KeyType: "EC", KeyBits: 256, Email: DefaultCAEmail},
		},
		Templates: []InventoryTemplate{
			{CommonName: DefaultTemplate, DisplayName: "Web Server", AllowedEnrollmentTypes: EnrollmentTypeCSR | EnrollmentTypePFX, Validity: Duration(30 * 24 * time.Hour)},
			{CommonName: ApprovalTemplate, DisplayName: "Web Server (Approval)", AllowedEnrollmentTypes: EnrollmentTypeCSR | EnrollmentTypePFX, RequiresApproval: true, Validity: Duration(30 * 24 * time.Hour)},
			{CommonName: PFXOnlyTemplate, DisplayName: "PFX Only", AllowedEnrollmentTypes: EnrollmentTypePFX, Validity: Duration(365 * 24 * time.Hour)},
			{CommonName: ShortLivedTemplate, DisplayName: "Short Lived", AllowedEnrollmentTypes: EnrollmentTypeCSR, Validity: Duration(2 * time.Minute)},
		},
		MetadataFields: []InventoryMetadataField{
			{Name: MetadataOwner, Description: "Owner of the certificate", DataType: "String"},
			{Name: MetadataAppCode, Description: "Application code", DataType: "String"},
			{Name: MetadataCostCenter, Description: "Cost center", DataType: "Integer"},
			{Name: MetadataEnvironment, Description: "Environment", DataType: "MultipleChoice", Options: "dev,test,prod"},
		},
	}
}
