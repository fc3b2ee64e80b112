# Devices built into our qemu-system-x86_64 and into the baseline: linked as
# configs/devices/x86_64-softmmu/ubf.mak and selected with
# --without-default-devices --with-devices-x86_64=ubf.  Only what the frontend,
# its tests, the demo and libvirt's default q35/pc domains need, so that a
# clean build stays short on a 2-core machine.

# Boards
CONFIG_I440FX=y
CONFIG_Q35=y

# Resize backends and what they sit on
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BALLOON=y
CONFIG_VIRTIO_MEM=y
CONFIG_HYPERV=y
CONFIG_VMBUS=y
CONFIG_HV_BALLOON=y

# Guest agent channel, console, and what libvirt adds by default
CONFIG_VIRTIO_SERIAL=y
CONFIG_SERIAL_ISA=y
CONFIG_PCIE_PORT=y
CONFIG_PCI_EXPRESS_GENERIC_BRIDGE=y
CONFIG_USB_UHCI=y
CONFIG_USB_EHCI_PCI=y
CONFIG_USB_XHCI_PCI=y
CONFIG_VGA_PCI=y
CONFIG_VIRTIO_RNG=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_NET=y

# virtio-mouse-pci, behind a pcie-pci-bridge: what QEMU's own
# device-plug-test unplugs (tests/qtest/)
CONFIG_VIRTIO_INPUT=y
CONFIG_PCIE_PCI_BRIDGE=y
CONFIG_PCI_BRIDGE=y
