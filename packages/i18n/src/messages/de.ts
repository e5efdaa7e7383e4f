import type { MessageId } from "./en.ts";

export const de: Record<MessageId, string> = {
  "role.admin": "kann verwalten",
  "role.create": "kann erstellen",
  "role.edit": "kann bearbeiten",
  "role.review": "kann prüfen",
  "role.comment": "kann kommentieren",
  "role.read": "kann ansehen",

  "place.organization": "{name}",
  "place.website": "zur Website {name}",
  "place.websiteAt": "zur Website {name} bei {org}",
  "place.group": "zur Gruppe {name}",
  "place.many": "{count, plural, one {zu # Bereich} other {zu # Bereichen}}",
  "place.manyAt": "{count, plural, one {zu # Bereich} other {zu # Bereichen}} bei {org}",

  "kind.organization": "Organisation",
  "kind.website": "Website",
  "kind.group": "Gruppe",

  "invite.subject": "{inviter} hat Sie {place} eingeladen",
  "invite.subjectJoin": "{inviter} hat Sie eingeladen, {place} beizutreten",
  "invite.greeting": "Hallo {firstName},",
  "invite.greetingAnonymous": "Hallo,",
  "invite.lead": "{inviter} hat Sie {place} eingeladen.",
  "invite.leadJoin": "{inviter} hat Sie eingeladen, {place} beizutreten.",
  "invite.access": "{count, plural, one {Ihr Zugang} other {Ihr Zugang zu diesen # Bereichen}}",
  "invite.accept": "Einladung annehmen",
  "invite.expires": "Diese Einladung läuft am {date} ab.",
  "invite.linkFallback": "Falls die Schaltfläche nicht funktioniert, kopieren Sie diesen Link in Ihren Browser:",
  "invite.why":
    "Sie erhalten diese E-Mail, weil {inviter} {email} zu {brand} eingeladen hat. Falls Sie das nicht erwartet haben, ignorieren Sie diese E-Mail: Es passiert nichts, solange Sie nicht annehmen.",
  "invite.support": "Fragen? Schreiben Sie an {supportEmail}.",
  "invite.someone": "Jemand",
  "invite.textLabel": "{label}:",

  "page.invite.title": "Sie sind {place} eingeladen",
  "page.invite.lead": "{inviter} hat Sie eingeladen zu:",
  "page.invite.details": "Ihr Name (optional)",
  "page.invite.firstName": "Vorname",
  "page.invite.nameInvalid":
    "Ihr Name konnte nicht verwendet werden: Jeder Teil darf bis zu 100 gewöhnliche Zeichen haben. Korrigieren Sie ihn und nehmen Sie erneut an.",
  "page.invite.lastName": "Nachname",
  "page.invite.accept": "Einladung annehmen",
  "page.invite.decline": "Ablehnen",
  "page.invite.expires": "Diese Einladung läuft am {date} ab.",
  "page.invite.declineTitle": "Diese Einladung ablehnen?",
  "page.invite.declineLead":
    "Danach können Sie diese Einladung nicht mehr verwenden. Wenn Sie es sich anders überlegen, kann {inviter} Ihnen eine neue senden.",
  "page.invite.declineConfirm": "Ja, ablehnen",
  "page.invite.declineCancel": "Zurück",

  "page.done.title": "Geschafft",
  "page.done.lead": "Sie haben jetzt Zugang zu {places}.",
  "page.done.continue": "Weiter zu {app}",
  "page.done.redirecting": "Sie werden in wenigen Sekunden weitergeleitet…",
  "page.done.close": "Sie können diese Seite schließen.",

  "page.declined.title": "Einladung abgelehnt",
  "page.declined.lead": "Sie haben die Einladung abgelehnt. Sonst passiert nichts; Sie können diese Seite schließen.",

  "page.problem.title": "Dieser Link kann nicht verwendet werden",
  "page.problem.invite_not_found":
    "Dieser Einladungslink ist ungültig. Prüfen Sie, ob Sie den vollständigen Link aus der E-Mail geöffnet haben.",
  "page.problem.invite_superseded":
    "Diese Einladung wurde durch eine neuere ersetzt. Verwenden Sie den Link aus der neuesten E-Mail.",
  "page.problem.invite_already_accepted":
    "Sie wurde bereits angenommen. Falls Sie das waren, melden Sie sich im Produkt an, um fortzufahren.",
  "page.problem.invite_declined":
    "Diese Einladung wurde abgelehnt. Wenn Sie doch Zugang möchten, bitten Sie die einladende Person um eine neue.",
  "page.problem.invite_revoked":
    "Diese Einladung wurde zurückgezogen. Wenn Sie weiterhin Zugang brauchen, wenden Sie sich an die einladende Person.",
  "page.problem.invite_expired": "Einladungen sind nur begrenzt gültig. Bitten Sie die einladende Person um eine neue.",
  "page.problem.inviter_lost_authority":
    "Die einladende Person kann diesen Zugang nicht mehr gewähren. Bitten Sie sie um eine neue Einladung.",
  "page.problem.link_invite_not_found": "Dieser Einladungslink ist ungültig oder wurde zurückgezogen.",
  "page.problem.link_invite_disabled": "Dieser Einladungslink ist derzeit deaktiviert.",
  "page.problem.link_invite_expired": "Dieser Einladungslink ist abgelaufen.",
  "page.problem.link_invite_used_up": "Dieser Einladungslink wurde so oft wie erlaubt verwendet.",
  "page.problem.generic": "Etwas ist schiefgelaufen. Versuchen Sie es später noch einmal.",
  "page.problem.expiredTitle": "Diese Einladung ist abgelaufen",
  "page.problem.usedTitle": "Diese Einladung wurde bereits verwendet",
  "page.problem.askNew": "Bitten Sie {whom} um eine neue Einladung.",
  "page.problem.contact": "Brauchen Sie Hilfe? Schreiben Sie an {supportEmail}.",

  "page.link.title": "{org} beitreten",
  "page.link.lead": "Sie sind eingeladen, {org} beizutreten.",
  "page.link.role": "Ihr Zugang: {role}",
  "page.link.expires": "Gültig bis {date} ({relative}).",
  "page.link.noExpiry": "Dieser Link läuft nicht ab.",
  "page.link.uses": "{count, plural, =0 {Keine Verwendungen mehr} one {Noch # Verwendung} other {Noch # Verwendungen}}",
  "page.link.domains": "Nur für E-Mail-Adressen bei {domains}.",
  "page.link.continue": "Weiter zu {org}",
  "page.link.signIn": "Sie melden sich an oder erstellen ein Konto und treten dann bei.",
  "page.link.noApp":
    "Um beizutreten, fragen Sie die Person, die diesen Link geteilt hat, oder {whom}, wie Sie sich bei {org} anmelden.",
  "page.link.noAppNoSupport":
    "Um beizutreten, fragen Sie die Person, die diesen Link geteilt hat, wie Sie sich bei {org} anmelden.",
  "page.link.unusable": "Dieser Link kann nicht mehr verwendet werden.",

  "page.footer": "Einladung sicher verwaltet von Admit",
};
