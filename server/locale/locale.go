// Package locale provides the languages the product offers: the go-i18n
// bundle, negotiation (URL > cookie > Accept-Language > English), text
// direction and each language's name in its own script.
package locale

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Source is the language every other language is translated from and falls back to.
const Source = "en"

// Language describes one offered language.
type Language struct {
	Tag         string // BCP 47 tag as used in URLs, e.g. "ur"
	Name        string // the language's name in its own script
	Dir         string // "ltr" or "rtl"
	Translation string // original | draft | reviewed (UI strings)
	Script      string // ISO 15924 code in lower case, e.g. "arab": picks the fonts
}

// ScriptOf returns the writing system a language tag is written in, as a
// lower-case ISO 15924 code ("latn", "arab", "guru", …): the script subtag
// if the tag has one, else CLDR's likely script for the language.
func ScriptOf(tag string) string {
	s, _ := language.Make(tag).Script()
	return strings.ToLower(s.String())
}

// RTL reports whether the language is written right to left.
func (l Language) RTL() bool { return l.Dir == "rtl" }

// Draft reports whether the UI strings still await a qualified translator.
func (l Language) Draft() bool { return l.Translation == "draft" }

// Catalog is the immutable set of languages and their messages.
type Catalog struct {
	bundle  *i18n.Bundle
	langs   []Language
	byTag   map[string]Language
	matcher language.Matcher
	keys    map[string]map[string]bool // tag -> message ids present
}

// Load reads every active.<lang>.toml in fsys. English must be present.
func Load(fsys fs.FS) (*Catalog, error) {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(fsys, "active.*.toml")
	if err != nil {
		return nil, err
	}
	c := &Catalog{bundle: bundle, byTag: map[string]Language{}, keys: map[string]map[string]bool{}}
	for _, name := range files {
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mf, err := bundle.ParseMessageFileBytes(buf, name)
		if err != nil {
			return nil, fmt.Errorf("locales/%s: %w", name, err)
		}
		tag := strings.TrimSuffix(strings.TrimPrefix(path.Base(name), "active."), ".toml")
		ids := map[string]bool{}
		meta := map[string]string{}
		for _, m := range mf.Messages {
			ids[m.ID] = true
			if strings.HasPrefix(m.ID, "meta.") {
				meta[m.ID] = m.Other
			}
		}
		lang := Language{Tag: tag, Name: meta["meta.name"], Dir: meta["meta.dir"], Translation: meta["meta.translation"], Script: ScriptOf(tag)}
		if lang.Name == "" {
			return nil, fmt.Errorf("locales/%s: missing \"meta.name\" (the language's name in its own script)", name)
		}
		if lang.Dir != "ltr" && lang.Dir != "rtl" {
			return nil, fmt.Errorf("locales/%s: \"meta.dir\" must be ltr or rtl, got %q", name, lang.Dir)
		}
		switch lang.Translation {
		case "original", "draft", "reviewed":
		default:
			return nil, fmt.Errorf("locales/%s: \"meta.translation\" must be original, draft or reviewed, got %q", name, lang.Translation)
		}
		c.langs = append(c.langs, lang)
		c.byTag[tag] = lang
		c.keys[tag] = ids
	}
	if _, ok := c.byTag[Source]; !ok {
		return nil, fmt.Errorf("locales: no active.%s.toml; English is the source language", Source)
	}
	if err := c.loadStaff(fsys); err != nil {
		return nil, err
	}
	// English first, then by tag, so the picker is stable.
	sort.Slice(c.langs, func(i, j int) bool {
		if (c.langs[i].Tag == Source) != (c.langs[j].Tag == Source) {
			return c.langs[i].Tag == Source
		}
		return c.langs[i].Tag < c.langs[j].Tag
	})
	tags := make([]language.Tag, len(c.langs))
	for i, l := range c.langs {
		tags[i] = language.Make(l.Tag)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// StaffFile holds the staff workspace's strings. The workspace is English only, so
// they live apart from the patient languages' files: they join the bundle as English
// messages but not the key set that every language must translate (see Missing).
const StaffFile = "staff/active.en.toml"

func (c *Catalog) loadStaff(fsys fs.FS) error {
	buf, err := fs.ReadFile(fsys, StaffFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	mf, err := c.bundle.ParseMessageFileBytes(buf, "active.en.toml")
	if err != nil {
		return fmt.Errorf("locales/%s: %w", StaffFile, err)
	}
	for _, m := range mf.Messages {
		// Only staff.* ids, so this file cannot quietly override a patient string.
		if !strings.HasPrefix(m.ID, "staff.") {
			return fmt.Errorf("locales/%s: %q: every id must start with \"staff.\"", StaffFile, m.ID)
		}
		if c.keys[Source][m.ID] {
			return fmt.Errorf("locales/%s: %q is also in active.%s.toml", StaffFile, m.ID, Source)
		}
	}
	return nil
}

// Languages lists the offered languages, English first.
func (c *Catalog) Languages() []Language { return c.langs }

// Lookup returns the language for a URL tag.
func (c *Catalog) Lookup(tag string) (Language, bool) {
	l, ok := c.byTag[tag]
	return l, ok
}

// Missing lists message ids that English has and tag lacks.
func (c *Catalog) Missing(tag string) []string {
	var out []string
	for id := range c.keys[Source] {
		if !c.keys[tag][id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Negotiate picks the language for a request without one in its URL:
// the cookie if it names an offered language, else the best match for
// Accept-Language, else English.
func (c *Catalog) Negotiate(cookie, acceptLanguage string) Language {
	if l, ok := c.byTag[cookie]; ok {
		return l
	}
	if acceptLanguage != "" {
		prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(prefs) > 0 {
			_, idx, conf := c.matcher.Match(prefs...)
			if conf >= language.High || (conf > language.No && idx != 0) {
				return c.langs[idx]
			}
		}
	}
	return c.byTag[Source]
}

// Translator returns the text functions for one language; templates get
// one per request (never a global FuncMap bound to a language).
func (c *Catalog) Translator(tag string) *Translator {
	return &Translator{lang: c.byTag[tag], loc: i18n.NewLocalizer(c.bundle, tag, Source)}
}

// Translator translates message ids for one language.
type Translator struct {
	lang Language
	loc  *i18n.Localizer
}

// Language is the translator's language.
func (t *Translator) Language() Language { return t.lang }

// Localizer exposes the go-i18n localizer for packages that render their own messages.
func (t *Translator) Localizer() *i18n.Localizer { return t.loc }

// T translates id with optional template data given as key, value pairs.
// A missing id shows the id itself, which the missing-key test prevents.
func (t *Translator) T(id string, kv ...any) string {
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil && s == "" {
		return id
	}
	return s
}

// N translates a plural message id for count, using CLDR plural rules.
func (t *Translator) N(id string, count int) string {
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: map[string]any{"Count": count}})
	if err != nil && s == "" {
		return id
	}
	return s
}
