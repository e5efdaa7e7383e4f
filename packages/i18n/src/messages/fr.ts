import type { MessageId } from "./en.ts";

export const fr: Record<MessageId, string> = {
  "role.admin": "peut administrer",
  "role.create": "peut créer",
  "role.edit": "peut modifier",
  "role.review": "peut relire",
  "role.comment": "peut commenter",
  "role.read": "peut consulter",

  "place.organization": "{name}",
  "place.website": "le site {name}",
  "place.websiteAt": "le site {name} chez {org}",
  "place.group": "le groupe {name}",
  "place.many": "{count, plural, one {# espace} other {# espaces}}",
  "place.manyAt": "{count, plural, one {# espace} other {# espaces}} chez {org}",

  "kind.organization": "Organisation",
  "kind.website": "Site",
  "kind.group": "Groupe",

  "invite.subject": "{inviter} vous invite sur {place}",
  "invite.subjectJoin": "{inviter} vous invite à rejoindre {place}",
  "invite.greeting": "Bonjour {firstName},",
  "invite.greetingAnonymous": "Bonjour,",
  "invite.lead": "{inviter} vous invite sur {place}.",
  "invite.leadJoin": "{inviter} vous invite à rejoindre {place}.",
  "invite.access": "{count, plural, one {Votre accès} other {Votre accès à ces # espaces}}",
  "invite.accept": "Accepter l’invitation",
  "invite.expires": "Cette invitation expire le {date}.",
  "invite.linkFallback": "Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur\u00a0:",
  "invite.why":
    "Vous recevez cet e-mail parce que {inviter} a invité {email} sur {brand}. Si vous ne vous y attendiez pas, ignorez-le\u00a0: rien ne se passe tant que vous n’acceptez pas.",
  "invite.support": "Des questions\u00a0? Écrivez à {supportEmail}.",
  "invite.someone": "Quelqu’un",
  "invite.textLabel": "{label}\u00a0:",

  "page.invite.title": "Vous êtes invité·e sur {place}",
  "page.invite.lead": "{inviter} vous invite sur\u00a0:",
  "page.invite.details": "Votre nom (facultatif)",
  "page.invite.firstName": "Prénom",
  "page.invite.nameInvalid":
    "Votre nom n’a pas pu être utilisé : chaque partie peut compter jusqu’à 100 caractères ordinaires. Corrigez-le, puis acceptez à nouveau.",
  "page.invite.lastName": "Nom",
  "page.invite.accept": "Accepter l’invitation",
  "page.invite.decline": "Refuser",
  "page.invite.expires": "Cette invitation expire le {date}.",
  "page.invite.declineTitle": "Refuser cette invitation\u00a0?",
  "page.invite.declineLead":
    "Vous ne pourrez plus utiliser cette invitation ensuite. Si vous changez d’avis, {inviter} pourra vous en envoyer une nouvelle.",
  "page.invite.declineConfirm": "Oui, refuser",
  "page.invite.declineCancel": "Retour",

  "page.done.title": "C’est fait",
  "page.done.lead": "Vous avez maintenant accès à {places}.",
  "page.done.continue": "Continuer vers {app}",
  "page.done.redirecting": "Redirection dans quelques secondes…",
  "page.done.close": "Vous pouvez fermer cette page.",

  "page.declined.title": "Invitation refusée",
  "page.declined.lead": "Vous avez refusé l’invitation. Rien d’autre ne se passera ; vous pouvez fermer cette page.",

  "page.problem.title": "Ce lien ne peut pas être utilisé",
  "page.problem.invite_not_found":
    "Ce lien d’invitation n’est pas valide. Vérifiez que vous avez ouvert le lien complet de l’e-mail.",
  "page.problem.invite_superseded":
    "Cette invitation a été remplacée par une plus récente. Utilisez le lien du dernier e-mail.",
  "page.problem.invite_already_accepted":
    "Elle a déjà été acceptée. Si c’était vous, connectez-vous au produit pour continuer.",
  "page.problem.invite_declined":
    "Cette invitation a été refusée. Si vous souhaitez finalement y accéder, demandez-en une nouvelle à la personne qui vous a invité·e.",
  "page.problem.invite_revoked":
    "Cette invitation a été retirée. Si vous avez toujours besoin d’un accès, adressez-vous à la personne qui vous a invité·e.",
  "page.problem.invite_expired":
    "Les invitations sont valables pour une durée limitée. Demandez-en une nouvelle à la personne qui vous a invité·e.",
  "page.problem.inviter_lost_authority":
    "La personne qui vous a invité·e ne peut plus accorder cet accès. Demandez-lui une nouvelle invitation.",
  "page.problem.link_invite_not_found": "Ce lien d’invitation n’est pas valide, ou il a été retiré.",
  "page.problem.link_invite_disabled": "Ce lien d’invitation est désactivé pour le moment.",
  "page.problem.link_invite_expired": "Ce lien d’invitation a expiré.",
  "page.problem.link_invite_used_up": "Ce lien d’invitation a atteint son nombre maximal d’utilisations.",
  "page.problem.generic": "Une erreur s’est produite. Réessayez plus tard.",
  "page.problem.expiredTitle": "Cette invitation a expiré",
  "page.problem.usedTitle": "Cette invitation a déjà été utilisée",
  "page.problem.askNew": "Demandez une nouvelle invitation à {whom}.",
  "page.problem.contact": "Besoin d’aide\u00a0? Écrivez à {supportEmail}.",

  "page.link.title": "Rejoindre {org}",
  "page.link.lead": "Vous êtes invité·e à rejoindre {org}.",
  "page.link.role": "Votre accès\u00a0: {role}",
  "page.link.expires": "Valable jusqu’au {date} ({relative}).",
  "page.link.noExpiry": "Ce lien n’expire pas.",
  "page.link.uses":
    "{count, plural, =0 {Plus aucune utilisation possible} one {# utilisation restante} other {# utilisations restantes}}",
  "page.link.domains": "Réservé aux adresses e-mail de {domains}.",
  "page.link.continue": "Continuer vers {org}",
  "page.link.signIn": "Vous vous connecterez ou créerez un compte, puis vous rejoindrez.",
  "page.link.noApp":
    "Pour rejoindre, demandez à la personne qui a partagé ce lien, ou à {whom}, comment vous connecter à {org}.",
  "page.link.noAppNoSupport":
    "Pour rejoindre, demandez à la personne qui a partagé ce lien comment vous connecter à {org}.",
  "page.link.unusable": "Ce lien ne peut plus être utilisé.",

  "page.footer": "Invitation gérée en toute sécurité par Admit",
};
