package stix

import "encoding/json"

// The typed form of every object type, extension and embedded type STIX
// 2.1 defines, one struct each, property for property as in spec.txt (a
// test holds them to it). Required properties have no omitempty; optional
// numbers and booleans are pointers, so that absent and zero differ.

// AttackPattern is the attack-pattern SDO (STIX 2.1 section 4.1).
type AttackPattern struct {
	Common
	Name            string           `json:"name"`
	Description     string           `json:"description,omitempty"`
	Aliases         []string         `json:"aliases,omitempty"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
}

// Campaign is the campaign SDO (STIX 2.1 section 4.2).
type Campaign struct {
	Common
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Aliases     []string  `json:"aliases,omitempty"`
	FirstSeen   Timestamp `json:"first_seen,omitzero"`
	LastSeen    Timestamp `json:"last_seen,omitzero"`
	Objective   string    `json:"objective,omitempty"`
}

// CourseOfAction is the course-of-action SDO (STIX 2.1 section 4.3).
type CourseOfAction struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Grouping is the grouping SDO (STIX 2.1 section 4.4).
type Grouping struct {
	Common
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Context     string   `json:"context"`
	ObjectRefs  []string `json:"object_refs"`
}

// Identity is the identity SDO (STIX 2.1 section 4.5).
type Identity struct {
	Common
	Name               string   `json:"name"`
	Description        string   `json:"description,omitempty"`
	Roles              []string `json:"roles,omitempty"`
	IdentityClass      string   `json:"identity_class,omitempty"`
	Sectors            []string `json:"sectors,omitempty"`
	ContactInformation string   `json:"contact_information,omitempty"`
}

// Incident is the incident SDO (STIX 2.1 section 4.6).
type Incident struct {
	Common
	Name            string           `json:"name"`
	Description     string           `json:"description,omitempty"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
}

// Indicator is the indicator SDO (STIX 2.1 section 4.7).
type Indicator struct {
	Common
	Name            string           `json:"name,omitempty"`
	Description     string           `json:"description,omitempty"`
	IndicatorTypes  []string         `json:"indicator_types,omitempty"`
	Pattern         string           `json:"pattern"`
	PatternType     string           `json:"pattern_type"`
	PatternVersion  string           `json:"pattern_version,omitempty"`
	ValidFrom       Timestamp        `json:"valid_from,omitzero"`
	ValidUntil      Timestamp        `json:"valid_until,omitzero"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
}

// Infrastructure is the infrastructure SDO (STIX 2.1 section 4.8).
type Infrastructure struct {
	Common
	Name                string           `json:"name"`
	Description         string           `json:"description,omitempty"`
	InfrastructureTypes []string         `json:"infrastructure_types,omitempty"`
	Aliases             []string         `json:"aliases,omitempty"`
	KillChainPhases     []KillChainPhase `json:"kill_chain_phases,omitempty"`
	FirstSeen           Timestamp        `json:"first_seen,omitzero"`
	LastSeen            Timestamp        `json:"last_seen,omitzero"`
}

// IntrusionSet is the intrusion-set SDO (STIX 2.1 section 4.9).
type IntrusionSet struct {
	Common
	Name                 string    `json:"name"`
	Description          string    `json:"description,omitempty"`
	Aliases              []string  `json:"aliases,omitempty"`
	FirstSeen            Timestamp `json:"first_seen,omitzero"`
	LastSeen             Timestamp `json:"last_seen,omitzero"`
	Goals                []string  `json:"goals,omitempty"`
	ResourceLevel        string    `json:"resource_level,omitempty"`
	PrimaryMotivation    string    `json:"primary_motivation,omitempty"`
	SecondaryMotivations []string  `json:"secondary_motivations,omitempty"`
}

// Location is the location SDO (STIX 2.1 section 4.10).
type Location struct {
	Common
	Name               string   `json:"name,omitempty"`
	Description        string   `json:"description,omitempty"`
	Latitude           *float64 `json:"latitude,omitempty"`
	Longitude          *float64 `json:"longitude,omitempty"`
	Precision          *float64 `json:"precision,omitempty"`
	Region             string   `json:"region,omitempty"`
	Country            string   `json:"country,omitempty"`
	AdministrativeArea string   `json:"administrative_area,omitempty"`
	City               string   `json:"city,omitempty"`
	StreetAddress      string   `json:"street_address,omitempty"`
	PostalCode         string   `json:"postal_code,omitempty"`
}

// Malware is the malware SDO (STIX 2.1 section 4.11).
type Malware struct {
	Common
	Name                      string           `json:"name,omitempty"`
	Description               string           `json:"description,omitempty"`
	MalwareTypes              []string         `json:"malware_types,omitempty"`
	IsFamily                  bool             `json:"is_family"`
	Aliases                   []string         `json:"aliases,omitempty"`
	KillChainPhases           []KillChainPhase `json:"kill_chain_phases,omitempty"`
	FirstSeen                 Timestamp        `json:"first_seen,omitzero"`
	LastSeen                  Timestamp        `json:"last_seen,omitzero"`
	OperatingSystemRefs       []string         `json:"operating_system_refs,omitempty"`
	ArchitectureExecutionEnvs []string         `json:"architecture_execution_envs,omitempty"`
	ImplementationLanguages   []string         `json:"implementation_languages,omitempty"`
	Capabilities              []string         `json:"capabilities,omitempty"`
	SampleRefs                []string         `json:"sample_refs,omitempty"`
}

// MalwareAnalysis is the malware-analysis SDO (STIX 2.1 section 4.12).
type MalwareAnalysis struct {
	Common
	Product                   string    `json:"product"`
	Version                   string    `json:"version,omitempty"`
	HostVMRef                 string    `json:"host_vm_ref,omitempty"`
	OperatingSystemRef        string    `json:"operating_system_ref,omitempty"`
	InstalledSoftwareRefs     []string  `json:"installed_software_refs,omitempty"`
	ConfigurationVersion      string    `json:"configuration_version,omitempty"`
	Modules                   []string  `json:"modules,omitempty"`
	AnalysisEngineVersion     string    `json:"analysis_engine_version,omitempty"`
	AnalysisDefinitionVersion string    `json:"analysis_definition_version,omitempty"`
	Submitted                 Timestamp `json:"submitted,omitzero"`
	AnalysisStarted           Timestamp `json:"analysis_started,omitzero"`
	AnalysisEnded             Timestamp `json:"analysis_ended,omitzero"`
	ResultName                string    `json:"result_name,omitempty"`
	Result                    string    `json:"result,omitempty"`
	AnalysisSCORefs           []string  `json:"analysis_sco_refs,omitempty"`
	SampleRef                 string    `json:"sample_ref,omitempty"`
}

// Note is the note SDO (STIX 2.1 section 4.13).
type Note struct {
	Common
	Abstract   string   `json:"abstract,omitempty"`
	Content    string   `json:"content"`
	Authors    []string `json:"authors,omitempty"`
	ObjectRefs []string `json:"object_refs"`
}

// ObservedData is the observed-data SDO (STIX 2.1 section 4.14).
type ObservedData struct {
	Common
	FirstObserved  Timestamp       `json:"first_observed,omitzero"`
	LastObserved   Timestamp       `json:"last_observed,omitzero"`
	NumberObserved int64           `json:"number_observed"`
	Objects        json.RawMessage `json:"objects,omitempty"`
	ObjectRefs     []string        `json:"object_refs,omitempty"`
}

// Opinion is the opinion SDO (STIX 2.1 section 4.15).
type Opinion struct {
	Common
	Explanation string   `json:"explanation,omitempty"`
	Authors     []string `json:"authors,omitempty"`
	Opinion     string   `json:"opinion"`
	ObjectRefs  []string `json:"object_refs"`
}

// Report is the report SDO (STIX 2.1 section 4.16).
type Report struct {
	Common
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	ReportTypes []string  `json:"report_types,omitempty"`
	Published   Timestamp `json:"published,omitzero"`
	ObjectRefs  []string  `json:"object_refs"`
}

// ThreatActor is the threat-actor SDO (STIX 2.1 section 4.17).
type ThreatActor struct {
	Common
	Name                 string    `json:"name"`
	Description          string    `json:"description,omitempty"`
	ThreatActorTypes     []string  `json:"threat_actor_types,omitempty"`
	Aliases              []string  `json:"aliases,omitempty"`
	FirstSeen            Timestamp `json:"first_seen,omitzero"`
	LastSeen             Timestamp `json:"last_seen,omitzero"`
	Roles                []string  `json:"roles,omitempty"`
	Goals                []string  `json:"goals,omitempty"`
	Sophistication       string    `json:"sophistication,omitempty"`
	ResourceLevel        string    `json:"resource_level,omitempty"`
	PrimaryMotivation    string    `json:"primary_motivation,omitempty"`
	SecondaryMotivations []string  `json:"secondary_motivations,omitempty"`
	PersonalMotivations  []string  `json:"personal_motivations,omitempty"`
}

// Tool is the tool SDO (STIX 2.1 section 4.18).
type Tool struct {
	Common
	Name            string           `json:"name"`
	Description     string           `json:"description,omitempty"`
	ToolTypes       []string         `json:"tool_types,omitempty"`
	Aliases         []string         `json:"aliases,omitempty"`
	KillChainPhases []KillChainPhase `json:"kill_chain_phases,omitempty"`
	ToolVersion     string           `json:"tool_version,omitempty"`
}

// Vulnerability is the vulnerability SDO (STIX 2.1 section 4.19).
type Vulnerability struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Relationship is the relationship SRO (STIX 2.1 section 5.1).
type Relationship struct {
	Common
	RelationshipType string    `json:"relationship_type"`
	Description      string    `json:"description,omitempty"`
	SourceRef        string    `json:"source_ref"`
	TargetRef        string    `json:"target_ref"`
	StartTime        Timestamp `json:"start_time,omitzero"`
	StopTime         Timestamp `json:"stop_time,omitzero"`
}

// Sighting is the sighting SRO (STIX 2.1 section 5.2).
type Sighting struct {
	Common
	Description      string    `json:"description,omitempty"`
	FirstSeen        Timestamp `json:"first_seen,omitzero"`
	LastSeen         Timestamp `json:"last_seen,omitzero"`
	Count            *int64    `json:"count,omitempty"`
	SightingOfRef    string    `json:"sighting_of_ref"`
	ObservedDataRefs []string  `json:"observed_data_refs,omitempty"`
	WhereSightedRefs []string  `json:"where_sighted_refs,omitempty"`
	Summary          *bool     `json:"summary,omitempty"`
}

// Artifact is the artifact SCO (STIX 2.1 section 6.1).
type Artifact struct {
	SCOCommon
	MimeType            string `json:"mime_type,omitempty"`
	PayloadBin          string `json:"payload_bin,omitempty"`
	URL                 string `json:"url,omitempty"`
	Hashes              Hashes `json:"hashes,omitempty"`
	EncryptionAlgorithm string `json:"encryption_algorithm,omitempty"`
	DecryptionKey       string `json:"decryption_key,omitempty"`
}

// AutonomousSystem is the autonomous-system SCO (STIX 2.1 section 6.2).
type AutonomousSystem struct {
	SCOCommon
	Number int64  `json:"number"`
	Name   string `json:"name,omitempty"`
	RIR    string `json:"rir,omitempty"`
}

// Directory is the directory SCO (STIX 2.1 section 6.3).
type Directory struct {
	SCOCommon
	Path         string    `json:"path"`
	PathEnc      string    `json:"path_enc,omitempty"`
	Ctime        Timestamp `json:"ctime,omitzero"`
	Mtime        Timestamp `json:"mtime,omitzero"`
	Atime        Timestamp `json:"atime,omitzero"`
	ContainsRefs []string  `json:"contains_refs,omitempty"`
}

// DomainName is the domain-name SCO (STIX 2.1 section 6.4).
type DomainName struct {
	SCOCommon
	Value          string   `json:"value"`
	ResolvesToRefs []string `json:"resolves_to_refs,omitempty"`
}

// EmailAddr is the email-addr SCO (STIX 2.1 section 6.5).
type EmailAddr struct {
	SCOCommon
	Value        string `json:"value"`
	DisplayName  string `json:"display_name,omitempty"`
	BelongsToRef string `json:"belongs_to_ref,omitempty"`
}

// EmailMessage is the email-message SCO (STIX 2.1 section 6.6).
type EmailMessage struct {
	SCOCommon
	IsMultipart            bool            `json:"is_multipart"`
	Date                   Timestamp       `json:"date,omitzero"`
	ContentType            string          `json:"content_type,omitempty"`
	FromRef                string          `json:"from_ref,omitempty"`
	SenderRef              string          `json:"sender_ref,omitempty"`
	ToRefs                 []string        `json:"to_refs,omitempty"`
	CcRefs                 []string        `json:"cc_refs,omitempty"`
	BccRefs                []string        `json:"bcc_refs,omitempty"`
	MessageID              string          `json:"message_id,omitempty"`
	Subject                string          `json:"subject,omitempty"`
	ReceivedLines          []string        `json:"received_lines,omitempty"`
	AdditionalHeaderFields json.RawMessage `json:"additional_header_fields,omitempty"`
	Body                   string          `json:"body,omitempty"`
	BodyMultipart          []EmailMIMEPart `json:"body_multipart,omitempty"`
	RawEmailRef            string          `json:"raw_email_ref,omitempty"`
}

// EmailMIMEPart is the mime-part embedded type (STIX 2.1 section 6.6.2).
type EmailMIMEPart struct {
	Body               string `json:"body,omitempty"`
	BodyRawRef         string `json:"body_raw_ref,omitempty"`
	ContentType        string `json:"content_type,omitempty"`
	ContentDisposition string `json:"content_disposition,omitempty"`
}

// File is the file SCO (STIX 2.1 section 6.7).
type File struct {
	SCOCommon
	Hashes             Hashes    `json:"hashes,omitempty"`
	Size               *int64    `json:"size,omitempty"`
	Name               string    `json:"name,omitempty"`
	NameEnc            string    `json:"name_enc,omitempty"`
	MagicNumberHex     string    `json:"magic_number_hex,omitempty"`
	MimeType           string    `json:"mime_type,omitempty"`
	Ctime              Timestamp `json:"ctime,omitzero"`
	Mtime              Timestamp `json:"mtime,omitzero"`
	Atime              Timestamp `json:"atime,omitzero"`
	ParentDirectoryRef string    `json:"parent_directory_ref,omitempty"`
	ContainsRefs       []string  `json:"contains_refs,omitempty"`
	ContentRef         string    `json:"content_ref,omitempty"`
}

// ArchiveExt is the archive-ext predefined extension (STIX 2.1 section 6.7.2).
type ArchiveExt struct {
	ContainsRefs []string `json:"contains_refs"`
	Comment      string   `json:"comment,omitempty"`
}

// NTFSExt is the ntfs-ext predefined extension (STIX 2.1 section 6.7.3).
type NTFSExt struct {
	SID                  string                `json:"sid,omitempty"`
	AlternateDataStreams []AlternateDataStream `json:"alternate_data_streams,omitempty"`
}

// AlternateDataStream is the ads embedded type (STIX 2.1 section 6.7.3.2).
type AlternateDataStream struct {
	Name   string `json:"name"`
	Hashes Hashes `json:"hashes,omitempty"`
	Size   *int64 `json:"size,omitempty"`
}

// PDFExt is the pdf-ext predefined extension (STIX 2.1 section 6.7.4).
type PDFExt struct {
	Version          string          `json:"version,omitempty"`
	IsOptimized      *bool           `json:"is_optimized,omitempty"`
	DocumentInfoDict json.RawMessage `json:"document_info_dict,omitempty"`
	PDFID0           string          `json:"pdfid0,omitempty"`
	PDFID1           string          `json:"pdfid1,omitempty"`
}

// RasterImageExt is the raster-image-ext predefined extension (STIX 2.1 section 6.7.5).
type RasterImageExt struct {
	ImageHeight  *int64          `json:"image_height,omitempty"`
	ImageWidth   *int64          `json:"image_width,omitempty"`
	BitsPerPixel *int64          `json:"bits_per_pixel,omitempty"`
	ExifTags     json.RawMessage `json:"exif_tags,omitempty"`
}

// WindowsPEBinaryExt is the windows-pebinary-ext predefined extension (STIX 2.1 section 6.7.6).
type WindowsPEBinaryExt struct {
	PEType                  string             `json:"pe_type"`
	Imphash                 string             `json:"imphash,omitempty"`
	MachineHex              string             `json:"machine_hex,omitempty"`
	NumberOfSections        *int64             `json:"number_of_sections,omitempty"`
	TimeDateStamp           Timestamp          `json:"time_date_stamp,omitzero"`
	PointerToSymbolTableHex string             `json:"pointer_to_symbol_table_hex,omitempty"`
	NumberOfSymbols         *int64             `json:"number_of_symbols,omitempty"`
	SizeOfOptionalHeader    *int64             `json:"size_of_optional_header,omitempty"`
	CharacteristicsHex      string             `json:"characteristics_hex,omitempty"`
	FileHeaderHashes        Hashes             `json:"file_header_hashes,omitempty"`
	OptionalHeader          json.RawMessage    `json:"optional_header,omitempty"`
	Sections                []WindowsPESection `json:"sections,omitempty"`
}

// WindowsPESection is the pe-section embedded type (STIX 2.1 section 6.7.6.3).
type WindowsPESection struct {
	Name    string   `json:"name"`
	Size    *int64   `json:"size,omitempty"`
	Entropy *float64 `json:"entropy,omitempty"`
	Hashes  Hashes   `json:"hashes,omitempty"`
}

// IPv4Addr is the ipv4-addr SCO (STIX 2.1 section 6.8).
type IPv4Addr struct {
	SCOCommon
	Value          string   `json:"value"`
	ResolvesToRefs []string `json:"resolves_to_refs,omitempty"`
	BelongsToRefs  []string `json:"belongs_to_refs,omitempty"`
}

// IPv6Addr is the ipv6-addr SCO (STIX 2.1 section 6.9).
type IPv6Addr struct {
	SCOCommon
	Value          string   `json:"value"`
	ResolvesToRefs []string `json:"resolves_to_refs,omitempty"`
	BelongsToRefs  []string `json:"belongs_to_refs,omitempty"`
}

// MACAddr is the mac-addr SCO (STIX 2.1 section 6.10).
type MACAddr struct {
	SCOCommon
	Value string `json:"value"`
}

// Mutex is the mutex SCO (STIX 2.1 section 6.11).
type Mutex struct {
	SCOCommon
	Name string `json:"name"`
}

// NetworkTraffic is the network-traffic SCO (STIX 2.1 section 6.12).
type NetworkTraffic struct {
	SCOCommon
	Start             Timestamp       `json:"start,omitzero"`
	End               Timestamp       `json:"end,omitzero"`
	IsActive          *bool           `json:"is_active,omitempty"`
	SrcRef            string          `json:"src_ref,omitempty"`
	DstRef            string          `json:"dst_ref,omitempty"`
	SrcPort           *int64          `json:"src_port,omitempty"`
	DstPort           *int64          `json:"dst_port,omitempty"`
	Protocols         []string        `json:"protocols"`
	SrcByteCount      *int64          `json:"src_byte_count,omitempty"`
	DstByteCount      *int64          `json:"dst_byte_count,omitempty"`
	SrcPackets        *int64          `json:"src_packets,omitempty"`
	DstPackets        *int64          `json:"dst_packets,omitempty"`
	IPFIX             json.RawMessage `json:"ipfix,omitempty"`
	SrcPayloadRef     string          `json:"src_payload_ref,omitempty"`
	DstPayloadRef     string          `json:"dst_payload_ref,omitempty"`
	EncapsulatesRefs  []string        `json:"encapsulates_refs,omitempty"`
	EncapsulatedByRef string          `json:"encapsulated_by_ref,omitempty"`
}

// HTTPRequestExt is the http-request-ext predefined extension (STIX 2.1 section 6.12.2).
type HTTPRequestExt struct {
	RequestMethod      string          `json:"request_method"`
	RequestValue       string          `json:"request_value"`
	RequestVersion     string          `json:"request_version,omitempty"`
	RequestHeader      json.RawMessage `json:"request_header,omitempty"`
	MessageBodyLength  *int64          `json:"message_body_length,omitempty"`
	MessageBodyDataRef string          `json:"message_body_data_ref,omitempty"`
}

// ICMPExt is the icmp-ext predefined extension (STIX 2.1 section 6.12.3).
type ICMPExt struct {
	ICMPTypeHex string `json:"icmp_type_hex"`
	ICMPCodeHex string `json:"icmp_code_hex"`
}

// SocketExt is the socket-ext predefined extension (STIX 2.1 section 6.12.4).
type SocketExt struct {
	AddressFamily    string          `json:"address_family"`
	IsBlocking       *bool           `json:"is_blocking,omitempty"`
	IsListening      *bool           `json:"is_listening,omitempty"`
	Options          json.RawMessage `json:"options,omitempty"`
	SocketType       string          `json:"socket_type,omitempty"`
	SocketDescriptor *int64          `json:"socket_descriptor,omitempty"`
	SocketHandle     *int64          `json:"socket_handle,omitempty"`
}

// TCPExt is the tcp-ext predefined extension (STIX 2.1 section 6.12.5).
type TCPExt struct {
	SrcFlagsHex string `json:"src_flags_hex,omitempty"`
	DstFlagsHex string `json:"dst_flags_hex,omitempty"`
}

// Process is the process SCO (STIX 2.1 section 6.13).
type Process struct {
	SCOCommon
	IsHidden             *bool           `json:"is_hidden,omitempty"`
	PID                  *int64          `json:"pid,omitempty"`
	CreatedTime          Timestamp       `json:"created_time,omitzero"`
	CWD                  string          `json:"cwd,omitempty"`
	CommandLine          string          `json:"command_line,omitempty"`
	EnvironmentVariables json.RawMessage `json:"environment_variables,omitempty"`
	OpenedConnectionRefs []string        `json:"opened_connection_refs,omitempty"`
	CreatorUserRef       string          `json:"creator_user_ref,omitempty"`
	ImageRef             string          `json:"image_ref,omitempty"`
	ParentRef            string          `json:"parent_ref,omitempty"`
	ChildRefs            []string        `json:"child_refs,omitempty"`
}

// WindowsProcessExt is the windows-process-ext predefined extension (STIX 2.1 section 6.13.2).
type WindowsProcessExt struct {
	ASLREnabled    *bool           `json:"aslr_enabled,omitempty"`
	DEPEnabled     *bool           `json:"dep_enabled,omitempty"`
	Priority       string          `json:"priority,omitempty"`
	OwnerSID       string          `json:"owner_sid,omitempty"`
	WindowTitle    string          `json:"window_title,omitempty"`
	StartupInfo    json.RawMessage `json:"startup_info,omitempty"`
	IntegrityLevel string          `json:"integrity_level,omitempty"`
}

// WindowsServiceExt is the windows-service-ext predefined extension (STIX 2.1 section 6.13.3).
type WindowsServiceExt struct {
	ServiceName    string   `json:"service_name,omitempty"`
	Descriptions   []string `json:"descriptions,omitempty"`
	DisplayName    string   `json:"display_name,omitempty"`
	GroupName      string   `json:"group_name,omitempty"`
	StartType      string   `json:"start_type,omitempty"`
	ServiceDLLRefs []string `json:"service_dll_refs,omitempty"`
	ServiceType    string   `json:"service_type,omitempty"`
	ServiceStatus  string   `json:"service_status,omitempty"`
}

// Software is the software SCO (STIX 2.1 section 6.14).
type Software struct {
	SCOCommon
	Name      string   `json:"name"`
	CPE       string   `json:"cpe,omitempty"`
	SWID      string   `json:"swid,omitempty"`
	Languages []string `json:"languages,omitempty"`
	Vendor    string   `json:"vendor,omitempty"`
	Version   string   `json:"version,omitempty"`
}

// URL is the url SCO (STIX 2.1 section 6.15).
type URL struct {
	SCOCommon
	Value string `json:"value"`
}

// UserAccount is the user-account SCO (STIX 2.1 section 6.16).
type UserAccount struct {
	SCOCommon
	UserID                string    `json:"user_id,omitempty"`
	Credential            string    `json:"credential,omitempty"`
	AccountLogin          string    `json:"account_login,omitempty"`
	AccountType           string    `json:"account_type,omitempty"`
	DisplayName           string    `json:"display_name,omitempty"`
	IsServiceAccount      *bool     `json:"is_service_account,omitempty"`
	IsPrivileged          *bool     `json:"is_privileged,omitempty"`
	CanEscalatePrivs      *bool     `json:"can_escalate_privs,omitempty"`
	IsDisabled            *bool     `json:"is_disabled,omitempty"`
	AccountCreated        Timestamp `json:"account_created,omitzero"`
	AccountExpires        Timestamp `json:"account_expires,omitzero"`
	CredentialLastChanged Timestamp `json:"credential_last_changed,omitzero"`
	AccountFirstLogin     Timestamp `json:"account_first_login,omitzero"`
	AccountLastLogin      Timestamp `json:"account_last_login,omitzero"`
}

// UnixAccountExt is the unix-account-ext predefined extension (STIX 2.1 section 6.16.2).
type UnixAccountExt struct {
	GID     *int64   `json:"gid,omitempty"`
	Groups  []string `json:"groups,omitempty"`
	HomeDir string   `json:"home_dir,omitempty"`
	Shell   string   `json:"shell,omitempty"`
}

// WindowsRegistryKey is the windows-registry-key SCO (STIX 2.1 section 6.17).
type WindowsRegistryKey struct {
	SCOCommon
	Key             string                 `json:"key,omitempty"`
	Values          []WindowsRegistryValue `json:"values,omitempty"`
	ModifiedTime    Timestamp              `json:"modified_time,omitzero"`
	CreatorUserRef  string                 `json:"creator_user_ref,omitempty"`
	NumberOfSubkeys *int64                 `json:"number_of_subkeys,omitempty"`
}

// WindowsRegistryValue is the registry-value embedded type (STIX 2.1 section 6.17.2).
type WindowsRegistryValue struct {
	Name     string `json:"name,omitempty"`
	Data     string `json:"data,omitempty"`
	DataType string `json:"data_type,omitempty"`
}

// X509Certificate is the x509-certificate SCO (STIX 2.1 section 6.18).
type X509Certificate struct {
	SCOCommon
	IsSelfSigned              *bool             `json:"is_self_signed,omitempty"`
	Hashes                    Hashes            `json:"hashes,omitempty"`
	Version                   string            `json:"version,omitempty"`
	SerialNumber              string            `json:"serial_number,omitempty"`
	SignatureAlgorithm        string            `json:"signature_algorithm,omitempty"`
	Issuer                    string            `json:"issuer,omitempty"`
	ValidityNotBefore         Timestamp         `json:"validity_not_before,omitzero"`
	ValidityNotAfter          Timestamp         `json:"validity_not_after,omitzero"`
	Subject                   string            `json:"subject,omitempty"`
	SubjectPublicKeyAlgorithm string            `json:"subject_public_key_algorithm,omitempty"`
	SubjectPublicKeyModulus   string            `json:"subject_public_key_modulus,omitempty"`
	SubjectPublicKeyExponent  *int64            `json:"subject_public_key_exponent,omitempty"`
	X509V3Extensions          *X509V3Extensions `json:"x509_v3_extensions,omitempty"`
}

// X509V3Extensions is the x509-v3 embedded type (STIX 2.1 section 6.18.2).
type X509V3Extensions struct {
	BasicConstraints               string    `json:"basic_constraints,omitempty"`
	NameConstraints                string    `json:"name_constraints,omitempty"`
	PolicyConstraints              string    `json:"policy_constraints,omitempty"`
	KeyUsage                       string    `json:"key_usage,omitempty"`
	ExtendedKeyUsage               string    `json:"extended_key_usage,omitempty"`
	SubjectKeyIdentifier           string    `json:"subject_key_identifier,omitempty"`
	AuthorityKeyIdentifier         string    `json:"authority_key_identifier,omitempty"`
	SubjectAlternativeName         string    `json:"subject_alternative_name,omitempty"`
	IssuerAlternativeName          string    `json:"issuer_alternative_name,omitempty"`
	SubjectDirectoryAttributes     string    `json:"subject_directory_attributes,omitempty"`
	CrlDistributionPoints          string    `json:"crl_distribution_points,omitempty"`
	InhibitAnyPolicy               string    `json:"inhibit_any_policy,omitempty"`
	PrivateKeyUsagePeriodNotBefore Timestamp `json:"private_key_usage_period_not_before,omitzero"`
	PrivateKeyUsagePeriodNotAfter  Timestamp `json:"private_key_usage_period_not_after,omitzero"`
	CertificatePolicies            string    `json:"certificate_policies,omitempty"`
	PolicyMappings                 string    `json:"policy_mappings,omitempty"`
}

// LanguageContent is the language-content meta object (STIX 2.1 section 7.1).
type LanguageContent struct {
	Type               string              `json:"type"`
	SpecVersion        string              `json:"spec_version"`
	ID                 string              `json:"id"`
	CreatedByRef       string              `json:"created_by_ref,omitempty"`
	Created            Timestamp           `json:"created,omitzero"`
	Modified           Timestamp           `json:"modified,omitzero"`
	Revoked            *bool               `json:"revoked,omitempty"`
	Labels             []string            `json:"labels,omitempty"`
	Confidence         *int64              `json:"confidence,omitempty"`
	ExternalReferences []ExternalReference `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string            `json:"object_marking_refs,omitempty"`
	GranularMarkings   []GranularMarking   `json:"granular_markings,omitempty"`
	Extensions         Extensions          `json:"extensions,omitempty"`
	ObjectRef          string              `json:"object_ref"`
	ObjectModified     Timestamp           `json:"object_modified,omitzero"`
	Contents           json.RawMessage     `json:"contents"`
}

// MarkingDefinition is the marking-definition meta object (STIX 2.1 section 7.2.1).
type MarkingDefinition struct {
	Type               string              `json:"type"`
	SpecVersion        string              `json:"spec_version"`
	ID                 string              `json:"id"`
	CreatedByRef       string              `json:"created_by_ref,omitempty"`
	Created            Timestamp           `json:"created,omitzero"`
	ExternalReferences []ExternalReference `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string            `json:"object_marking_refs,omitempty"`
	GranularMarkings   []GranularMarking   `json:"granular_markings,omitempty"`
	Extensions         Extensions          `json:"extensions,omitempty"`
	Name               string              `json:"name,omitempty"`
	DefinitionType     string              `json:"definition_type,omitempty"`
	Definition         json.RawMessage     `json:"definition,omitempty"`
}

// ExtensionDefinition is the extension-definition meta object (STIX 2.1 section 7.3).
type ExtensionDefinition struct {
	Type                string              `json:"type"`
	SpecVersion         string              `json:"spec_version"`
	ID                  string              `json:"id"`
	CreatedByRef        string              `json:"created_by_ref"`
	Created             Timestamp           `json:"created,omitzero"`
	Modified            Timestamp           `json:"modified,omitzero"`
	Revoked             *bool               `json:"revoked,omitempty"`
	Labels              []string            `json:"labels,omitempty"`
	ExternalReferences  []ExternalReference `json:"external_references,omitempty"`
	ObjectMarkingRefs   []string            `json:"object_marking_refs,omitempty"`
	GranularMarkings    []GranularMarking   `json:"granular_markings,omitempty"`
	Name                string              `json:"name"`
	Description         string              `json:"description,omitempty"`
	Schema              string              `json:"schema"`
	Version             string              `json:"version"`
	ExtensionTypes      []string            `json:"extension_types"`
	ExtensionProperties []string            `json:"extension_properties,omitempty"`
}

// Bundle is the bundle bundle (STIX 2.1 section 8).
type Bundle struct {
	Type    string            `json:"type"`
	ID      string            `json:"id"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// ExternalReference is the external-reference embedded type (STIX 2.1 section 2.5).
type ExternalReference struct {
	SourceName  string `json:"source_name"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	Hashes      Hashes `json:"hashes,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
}

// KillChainPhase is the kill-chain-phase embedded type (STIX 2.1 section 2.11).
type KillChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// GranularMarking is the granular-marking embedded type (STIX 2.1 section 7.2.3).
type GranularMarking struct {
	Lang       string   `json:"lang,omitempty"`
	MarkingRef string   `json:"marking_ref,omitempty"`
	Selectors  []string `json:"selectors"`
}
