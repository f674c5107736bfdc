package eval

import "testing"

func TestLayout(t *testing.T) {
	for _, c := range []struct{ path, subject, session string }{
		{"/d/sub-01/ses-02/eeg/sub-01_ses-02_task-ssvep_run-1_eeg.edf", "sub-01", "ses-02_task-ssvep_run-1"},
		{"/d/sub-07/eeg/sub-07_task-szMonitoring_eeg.edf", "sub-07", "task-szMonitoring"},
		{"/d/ssvep-exoskeleton/subject03/record-[2012.07.11-15.33.08]_raw.fif", "subject03", "record-_2012.07.11-15.33.08_"},
		{"/d/muse/subject1/session1/data_2017-09-13-15.30.01.csv", "subject1", "session1/data_2017-09-13-15.30.01"},
	} {
		sub, ses := layout(c.path)
		if sub != c.subject || ses != c.session {
			t.Errorf("%s: subject %q, session %q; want %q, %q", c.path, sub, ses, c.subject, c.session)
		}
	}
}
