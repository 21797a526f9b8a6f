package stepkit

// RegisterShared registers the steps several areas' features take.
func RegisterShared(r *Registry) {
	registerBackup(r)
	registerDomain(r)
	registerEvents(r)
	registerGuest(r)
	registerHotplug(r)
	registerNetworks(r)
	registerNWFilter(r)
	registerObjects(r)
	registerRefusals(r)
	registerSave(r)
	registerSecrets(r)
	registerSnapshots(r)
	registerStorage(r)
	registerXML(r)
}
