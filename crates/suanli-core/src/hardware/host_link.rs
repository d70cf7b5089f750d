//! A GPU's link to its host's memory: what activation and KV-cache offload travel over.

/// One host link per GPU, bytes/s in one direction, and where the figure comes from.
///
/// Grace-coupled superchips (GH200, GB200, GB300) reach host memory over NVLink-C2C,
/// 900 GB/s both ways, 450 GB/s each way (NVIDIA GH200 Grace Hopper Superchip datasheet);
/// Hopper, Blackwell and AMD CDNA 3/4 boards use PCIe 5.0 × 16, 32 GT/s × 16 lanes with
/// 128b/130b coding = 63 GB/s each way (PCI-SIG PCIe 5.0 base specification); older chips PCIe
/// 4.0 × 16, 31.5 GB/s. Pinned-memory copies reach about 85 % of the PCIe figure (NVIDIA's
/// bandwidthTest on H100 PCIe Gen5 hosts reports ≈ 53–55 GB/s host-to-device), applied here;
/// C2C is taken at its link rate.
#[must_use]
pub fn host_link(accelerator: &str, arch: Option<&str>) -> (f64, &'static str) {
    const PCIE_ACHIEVED: f64 = 0.85;
    if grace_host(accelerator) {
        return (450e9, "NVLink-C2C, 450 GB/s each way");
    }
    match arch.unwrap_or("") {
        "hopper" | "blackwell" | "blackwell-ultra" | "cdna3" | "cdna4" => {
            (63e9 * PCIE_ACHIEVED, "PCIe 5.0 x16, 85 % of 63 GB/s each way")
        }
        _ => (31.5e9 * PCIE_ACHIEVED, "PCIe 4.0 x16, 85 % of 31.5 GB/s each way (assumed for this chip)"),
    }
}

/// Whether the accelerator is a Grace-coupled superchip (GH200, GB200, GB300), whose host is a
/// Grace CPU over NVLink-C2C. A case-insensitive prefix test that does not allocate
/// (`infer::Replica::new` asks it per layout).
#[must_use]
pub fn grace_host(accelerator: &str) -> bool {
    ["gh200", "gb200", "gb300"]
        .iter()
        .any(|g| accelerator.get(..g.len()).is_some_and(|p| p.eq_ignore_ascii_case(g)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_links() {
        assert_eq!(host_link("gb200", Some("blackwell")).0, 450e9);
        assert!(grace_host("GB200") && grace_host("gh200") && !grace_host("h100-sxm") && !grace_host("gb"));
        let (h100, _) = host_link("h100-sxm", Some("hopper"));
        assert!((h100 - 53.55e9).abs() < 1e6);
        assert!(host_link("a100-sxm-80g", Some("ampere")).0 < h100);
    }
}
