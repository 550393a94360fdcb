//! The hand-written floor: what a careful engineer would write for
//! `PATCH /disks/disk` with nothing but `reqwest` and serde. Same fields,
//! same nesting and same wire format as the generated types, so that the
//! benchmarks compare the code around the types, not two different payloads.
//!
//! Enums the API sends back are closed with a `#[serde(other)]` catch-all:
//! the usual hand-written way to survive a value added later (it keeps no
//! text, where the SDK's open enums keep it).
//!
//! The one floor: the benchmark includes this file as a module, and
//! `cargo xtask bench-report --build-cost` builds the crate around it
//! (`../Cargo.toml`). `cfg(feature = "rustls")` is this crate's feature
//! there and katapult-core's (same name, same TLS stack) in the benchmark.

// The fields exist to be decoded; the benchmarks read only a few of them,
// and build their `reqwest::Client` with the SDK's builder, not `client()`.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, USER_AGENT};
use serde::{Deserialize, Serialize};

// ---- request ------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct UpdateDisk {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<KeyValue>,
    pub disk: DiskRef,
    pub properties: DiskProperties,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiskRef {
    pub id: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DiskProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bus_type: Option<BusType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_center: Option<Lookup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_file_system: Option<FileSystem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_profile: Option<Lookup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_in_gb: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_speed: Option<StorageSpeed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_machine_disk: Option<VirtualMachineDiskProperties>,
}

/// `{"id": ".."}` or `{"permalink": ".."}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lookup {
    Id(String),
    Permalink(String),
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileSystem {
    Ext4,
    Xfs,
}

#[derive(Debug, Clone, Serialize)]
pub struct VirtualMachineDiskProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach_on_boot: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_machine: Option<VirtualMachineLookup>,
}

/// `{"id": ".."}` or `{"fqdn": ".."}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VirtualMachineLookup {
    Id(String),
    Fqdn(String),
}

// ---- response -----------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct UpdateDiskResponse {
    pub annotations: Vec<KeyValue>,
    pub disk: Disk,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Disk {
    pub bus_type: Option<BusType>,
    pub created_at: Option<i64>,
    pub data_center: Option<DataCenter>,
    pub id: Option<String>,
    pub installation: Option<Installation>,
    pub io_profile: Option<IoProfile>,
    pub name: Option<String>,
    pub size_in_gb: Option<i64>,
    pub state: Option<DiskState>,
    pub storage_speed: Option<StorageSpeed>,
    pub virtual_machine_disk: Option<VirtualMachineDisk>,
    pub wwn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusType {
    Scsi,
    Virtio,
    #[serde(other, skip_serializing)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageSpeed {
    Nvme,
    Ssd,
    #[serde(other, skip_serializing)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskState {
    NotBuilt,
    Failed,
    Built,
    Building,
    Installing,
    Restoring,
    Formatting,
    Resizing,
    Configuring,
    Importing,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    Detached,
    Failed,
    Attached,
    Attaching,
    Detaching,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
pub struct IoProfile {
    pub id: Option<String>,
    pub iops: Option<i64>,
    pub name: Option<String>,
    pub permalink: Option<String>,
    pub speed_in_mb: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct DataCenter {
    pub id: Option<String>,
    pub name: Option<String>,
    pub permalink: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct VirtualMachineDisk {
    pub attach_on_boot: Option<bool>,
    pub boot: Option<bool>,
    pub state: Option<AttachmentState>,
    pub virtual_machine: Option<VirtualMachine>,
}

#[derive(Debug, Deserialize)]
pub struct VirtualMachine {
    pub fqdn: Option<String>,
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Installation {
    #[serde(default)]
    pub attributes: Vec<InstallationAttribute>,
    pub disk_template_version: Option<TemplateVersion>,
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct InstallationAttribute {
    pub description: Option<String>,
    pub key: Option<String>,
    pub label: Option<String>,
    pub protect: Option<bool>,
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TemplateVersion {
    pub disk_template: Option<Template>,
    pub id: Option<String>,
    pub number: Option<i64>,
    pub size_in_gb: Option<i64>,
    pub stable: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct Template {
    pub description: Option<String>,
    pub id: Option<String>,
    pub latest_version: Option<Box<TemplateVersion>>,
    pub name: Option<String>,
    pub operating_system: Option<OperatingSystem>,
    pub permalink: Option<String>,
    pub size_in_gb: Option<i64>,
    pub universal: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct OperatingSystem {
    pub badge: Option<Attachment>,
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Attachment {
    pub digest: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    pub file_type: Option<String>,
    pub token: Option<String>,
    pub url: Option<String>,
}

// ---- the call -----------------------------------------------------------

/// A `reqwest::Client` as the floor would make one: with the `rustls`
/// feature, rustls with the `ring` provider trusting Mozilla's roots
/// (webpki-roots), as katapult-core's default; without it, plain HTTP.
pub fn client() -> Result<reqwest::Client, Box<dyn std::error::Error + Send + Sync>> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls")]
    let builder = {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        builder.tls_backend_preconfigured(config)
    };
    Ok(builder.build()?)
}

/// What the floor sends besides the body, built once like the SDK builds
/// its own.
pub struct Floor {
    pub http: reqwest::Client,
    pub url: String,
    pub authorization: HeaderValue,
    pub user_agent: HeaderValue,
    pub timeout: Duration,
}

impl Floor {
    /// `PATCH {base}/disks/disk` with the same headers and per-request
    /// timeout the SDK sends, decoded into the hand-written struct. No
    /// retries, no size limit, no tracing: the floor.
    pub async fn update_disk(&self, body: &UpdateDisk) -> reqwest::Result<UpdateDiskResponse> {
        self.http
            .patch(&self.url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header("api-version", HeaderValue::from_static("1.0.0"))
            .header(AUTHORIZATION, self.authorization.clone())
            .header(USER_AGENT, self.user_agent.clone())
            .timeout(self.timeout)
            .json(body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
}
