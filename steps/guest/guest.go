package guest

import (
	"context"
	"strings"

	"github.com/ovacts/ovacts/steps/stepkit"
)

func (w *world) bootID(ctx context.Context, logical string) (string, error) {
	out, err := w.Exec(ctx, logical, "cat /proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(out), err
}

func registerGuest(r *stepkit.Registry) {
	r.Step(`^the probe booted the guest OS with KVM$`, probeBootedTheGuestOsWithKvm)
	r.Step(`^I start guest "([^"]*)" with its console open$`, startGuestWithItsConsoleOpen)
	r.Step(`^the console of guest "([^"]*)" shows its boot marker within the boot limit$`, consoleOfGuestShowsItsBootMarker)
	r.Step(`^an agent lifecycle event "(connected|disconnected)" of guest "([^"]*)" arrives within the boot limit$`, agentLifecycleEventOfGuestArrivesWithin)
	r.Step(`^the guest agent of "([^"]*)" answers a ping$`, guestAgentOfAnswersAPing)
	r.Step(`^the guest agent of "([^"]*)" answers again within the boot limit$`, guestAgentOfAnswersAgainWithinThe)
	r.Step(`^I set the clock of guest "([^"]*)" (\d+) seconds ahead of the host$`, setTheClockOfGuestAheadOfTheHost)
	r.Step(`^the clock of guest "([^"]*)" is (\d+) seconds ahead of the host, give or take (\d+) seconds?$`, clockOfGuestIsSecondsAheadOf)
	r.Step(`^the agent of guest "([^"]*)" lists interface "([^"]*)" with address "([^"]*)"$`, agentOfGuestListsInterfaceWithAddress)
	r.Step(`^guest "([^"]*)" formats and mounts its data disk$`, guestFormatsAndMountsItsDataDisk)
	r.Step(`^I (freeze|thaw) the filesystems of guest "([^"]*)"$`, filesystemsOfGuest)
	r.Step(`^the agent of guest "([^"]*)" reports its filesystems (frozen|thawed)$`, agentOfGuestReportsItsFilesystems)
	r.Step(`^I (shut down|reboot) guest "([^"]*)" (through ACPI|through the guest agent)$`, shutDownOrRebootGuest)
	r.Step(`^I reset guest "([^"]*)"$`, resetGuest)
	r.Step(`^guest "([^"]*)" stops with reason "([^"]*)" within (\d+) seconds$`, guestStopsWithReasonWithinSeconds)
	r.Step(`^a reboot event of guest "([^"]*)" arrives within (\d+) seconds$`, rebootEventOfGuestArrivesWithinSeconds)
	r.Step(`^guest "([^"]*)" has booted again within the boot limit$`, guestHasBootedAgainWithinTheBootLimit)
	r.Step(`^guest "([^"]*)" has an IPv4 lease on network "([^"]*)" within (\d+) seconds$`, guestHasAnIPv4LeaseOnNetworkWithinSeconds)
	r.Step(`^the agent of guest "([^"]*)" reports the leased address on the same MAC$`, agentOfGuestReportsTheLeasedAddress)
	r.Step(`^I hotplug a (\d+) MiB disk into guest "([^"]*)"$`, hotplugAMibDiskIntoGuest)
	r.Step(`^I hotplug a NIC on network "([^"]*)" into guest "([^"]*)"$`, hotplugANicOnNetworkIntoGuest)
	r.Step(`^I unplug the (disk|NIC) from guest "([^"]*)"$`, unplugTheFromGuest)
	r.Step(`^guest "([^"]*)" (sees|no longer sees) the (disk|NIC) within (\d+) seconds$`, guestTheWithinSeconds)
	r.Step(`^I open the console of guest "([^"]*)"$`, openTheConsoleOfGuest)
	r.Step(`^guest "([^"]*)" writes "([^"]*)" to its serial port$`, guestWritesToItsSerialPort)
	r.Step(`^the console of guest "([^"]*)" shows "([^"]*)" within (\d+) seconds$`, consoleOfGuestShowsWithinSeconds)
}
