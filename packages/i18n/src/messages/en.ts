/**
 * English, the reference catalogue. A `place.*` message is the whole phrase that follows "invited
 * you" in each language, prepositions and grammatical case included (German "zur Website …").
 * Every other language has exactly these keys (the type
 * check says so). ICU MessageFormat; values are plain text, escaped by whoever renders them.
 */
export const en = {
  "role.admin": "can manage",
  "role.create": "can create",
  "role.edit": "can edit",
  "role.review": "can review",
  "role.comment": "can comment",
  "role.read": "can view",

  "place.organization": "{name}",
  "place.website": "the {name} website",
  "place.websiteAt": "the {name} website at {org}",
  "place.group": "the {name} group",
  "place.many": "{count, plural, one {# place} other {# places}}",
  "place.manyAt": "{count, plural, one {# place} other {# places}} at {org}",

  "kind.organization": "Organization",
  "kind.website": "Website",
  "kind.group": "Group",

  "invite.subject": "{inviter} invited you to {place}",
  "invite.subjectJoin": "{inviter} invited you to join {place}",
  "invite.greeting": "Hi {firstName},",
  "invite.greetingAnonymous": "Hello,",
  "invite.lead": "{inviter} invited you to {place}.",
  "invite.leadJoin": "{inviter} invited you to join {place}.",
  "invite.access": "{count, plural, one {Your access} other {Your access to these # places}}",
  "invite.accept": "Accept invitation",
  "invite.expires": "This invitation expires on {date}.",
  "invite.linkFallback": "If the button does not work, copy this link into your browser:",
  "invite.why":
    "You received this email because {inviter} invited {email} to {brand}. If you did not expect it, ignore this email: nothing happens until you accept.",
  "invite.support": "Questions? Write to {supportEmail}.",
  "invite.someone": "Someone",
  "invite.textLabel": "{label}:",

  "page.invite.title": "You’re invited to {place}",
  "page.invite.lead": "{inviter} invited you to:",
  "page.invite.details": "Your name (optional)",
  "page.invite.firstName": "First name",
  "page.invite.lastName": "Last name",
  "page.invite.nameInvalid":
    "Your name could not be used: each part may have up to 100 ordinary characters. Correct it and accept again.",
  "page.invite.accept": "Accept invitation",
  "page.invite.decline": "Decline",
  "page.invite.expires": "This invitation expires on {date}.",
  "page.invite.declineTitle": "Decline this invitation?",
  "page.invite.declineLead":
    "You won’t be able to use this invitation afterwards. If you change your mind, {inviter} can send you a new one.",
  "page.invite.declineConfirm": "Yes, decline",
  "page.invite.declineCancel": "Go back",

  "page.done.title": "You’re in",
  "page.done.lead": "You now have access to {places}.",
  "page.done.continue": "Continue to {app}",
  "page.done.redirecting": "Taking you there in a few seconds…",
  "page.done.close": "You can close this page.",

  "page.declined.title": "Invitation declined",
  "page.declined.lead": "You declined the invitation. Nothing else will happen; you can close this page.",

  "page.problem.title": "This link can’t be used",
  "page.problem.invite_not_found":
    "This invitation link is not valid. Check that you opened the whole link from the email.",
  "page.problem.invite_superseded": "This invitation was replaced by a newer one. Use the link in the latest email.",
  "page.problem.invite_already_accepted":
    "It has already been accepted. If that was you, sign in to the product to continue.",
  "page.problem.invite_declined":
    "This invitation was declined. If you want access after all, ask the person who invited you for a new one.",
  "page.problem.invite_revoked":
    "This invitation was withdrawn. If you still need access, ask the person who invited you.",
  "page.problem.invite_expired":
    "Invitations are valid for a limited time. Ask the person who invited you for a new one.",
  "page.problem.inviter_lost_authority":
    "The person who invited you can no longer grant this access. Ask them for a new invitation.",
  "page.problem.link_invite_not_found": "This invite link is not valid, or it was withdrawn.",
  "page.problem.link_invite_disabled": "This invite link is turned off for now.",
  "page.problem.link_invite_expired": "This invite link has expired.",
  "page.problem.link_invite_used_up": "This invite link has been used as many times as allowed.",
  "page.problem.generic": "Something went wrong. Try again later.",
  "page.problem.expiredTitle": "This invitation has expired",
  "page.problem.usedTitle": "This invitation was already used",
  "page.problem.askNew": "Ask {whom} for a new invitation.",
  "page.problem.contact": "Need help? Write to {supportEmail}.",

  "page.link.title": "Join {org}",
  "page.link.lead": "You’ve been invited to join {org}.",
  "page.link.role": "Your access: {role}",
  "page.link.expires": "Valid until {date} ({relative}).",
  "page.link.noExpiry": "This link does not expire.",
  "page.link.uses": "{count, plural, =0 {No uses left} one {# use left} other {# uses left}}",
  "page.link.domains": "Only for email addresses at {domains}.",
  "page.link.continue": "Continue to {org}",
  "page.link.signIn": "You’ll sign in or create an account, then join.",
  "page.link.noApp": "To join, ask the person who shared this link, or {whom}, how to sign in to {org}.",
  "page.link.noAppNoSupport": "To join, ask the person who shared this link how to sign in to {org}.",
  "page.link.unusable": "This link can’t be used any more.",

  "page.footer": "Invitation handled securely by Admit",
} as const;

export type MessageId = keyof typeof en;
