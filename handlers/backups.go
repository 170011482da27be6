package handlers

import (
	"context"
	"strconv"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// BackupLister lists one database's backups (jobs.Catalog).
type BackupLister interface {
	List(ctx context.Context) (jobs.Listing, error)
}

var _ BackupLister = jobs.Catalog{}

// BackupsPageSize is how many backups a page of /backups lists.
const BackupsPageSize = 8

// Actions of /backups' buttons; the store holds their arguments.
const (
	actionBackupsPage    = "backups_page"    // the page to show, "\n"
	actionBackupsRestore = "backups_restore" // the page shown, "\n", the backup's name
)

// Backups answers /backups with the verified backups, newest first, each
// with where it lives (here and on each of remotes, the configured remotes'
// names), and the broken ones with their reasons, a page at a time with ◀
// ▶ when they are many. With t (nil: none), each verified backup carries a
// [🧪 …] button that offers its restore test exactly as /restore_test NAME
// does (RestoreTest registers what its confirmation runs). Every button
// works once, for the admin who asked, in that chat (OnInPlace).
func Backups(ctx context.Context, b BackupLister, remotes []string, cf *Confirmer, t RestoreTester) tele.HandlerFunc {
	show := func(c tele.Context, page int, edit bool) error {
		l, err := b.List(ctx)
		if err != nil {
			return err
		}
		free, _ := jobs.FreeBytes(l.Dir)
		n := render.BackupsItems(l)
		p := render.Page{Index: page, Size: BackupsPageSize}.In(n)
		html := render.BackupsPage(l, free, time.Now(), render.HTML, p, remotes...)
		k := cf.keys(c)
		if t != nil {
			from, to := p.Span(n)
			shown := l.Backups[min(from, len(l.Backups)):min(to, len(l.Backups))]
			labels := restoreLabels(shown)
			var row []tele.Btn
			for i, m := range shown {
				row = append(row, k.button(labels[i], actionBackupsRestore, strconv.Itoa(p.Index)+"\n"+m.Name))
				if len(row) == 2 {
					k.row(row...)
					row = nil
				}
			}
			k.row(row...)
		}
		k.pages(actionBackupsPage, p, n, "")
		if edit {
			return editList(c, html, k)
		}
		return sendList(c, html, k)
	}
	cf.OnInPlace(actionBackupsPage, "", func(c tele.Context, p confirm.Pending) error {
		cf.spend(p.Token)
		return show(c, pageOf(p.Arg), true)
	})
	if t != nil {
		cf.OnInPlace(actionBackupsRestore, "Preparing the restore test…", func(c tele.Context, p confirm.Pending) error {
			cf.spend(p.Token)
			page, name, _ := strings.Cut(p.Arg, "\n")
			err := offerRestore(ctx, c, t, cf, name)
			// The list stays usable: drawn again with new buttons.
			if lerr := show(c, pageOf(page), true); err == nil {
				err = lerr
			}
			return err
		})
	}
	return func(c tele.Context) error { return show(c, 0, false) }
}

// pageOf reads the page a list button's argument starts with.
func pageOf(arg string) int {
	s, _, _ := strings.Cut(arg, "\n")
	n, _ := strconv.Atoi(s)
	return n
}

// restoreLabels are the restore buttons' labels for backups on one page:
// when each was made, to the second where two share a minute.
func restoreLabels(ms []jobs.Manifest) []string {
	labels := make([]string, len(ms))
	seen := map[string]int{}
	for i, m := range ms {
		labels[i] = m.Start.UTC().Format("01-02 15:04")
		seen[labels[i]]++
	}
	for i, m := range ms {
		if seen[labels[i]] > 1 {
			labels[i] = m.Start.UTC().Format("01-02 15:04:05")
		}
		labels[i] = "🧪 " + labels[i]
	}
	return labels
}
