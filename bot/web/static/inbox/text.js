/** The inbox's Dutch wording, and labels for channels, topics and delivery problems. */

import { str } from "./dom.js";

export const SENDERS = ["user", "bot", "worker", "system"];

export const TEXT = {
  senders: { user: "Jongere", bot: "Bot", worker: "Hulpverlener", system: "Systeem" },
  you: "Jij",
  urgent: "URGENT",
  urgentLabel: "Urgent gesprek: ",
  fresh: "Nieuw",
  queued: "in de rij",
  withWorker: (name) => `bij ${name}`,
  withYou: "bij jou",
  waits: (d) => `wacht ${d}`,
  reported: (d) => `${d} geleden gemeld`,
  announceNew: (urgent, name) => (urgent
    ? `Nieuw urgent gesprek in de wachtrij: ${name}` : `Nieuw gesprek in de wachtrij: ${name}`),
  announceCrisis: (name) => `Crisissignaal in het gesprek met ${name}`,
  crisis: "Crisissignaal in dit gesprek: de jongere kan in gevaar zijn. Lees het laatste bericht en handel met voorrang.",
  unread: (n) => (n === 1 ? "1 nieuw bericht" : `${n} nieuwe berichten`),
  queueCount: (queued, assigned) => {
    const parts = [`${queued} in de rij`];
    if (assigned > 0) parts.push(`${assigned} in gesprek`);
    return parts.join(" · ");
  },
  online: "Online",
  offline: "Offline",
  presenceHint: {
    true: "Je staat online: jongeren horen dat er iemand is.",
    false: "Je staat offline.",
  },
  statusQueued: "Wacht op een hulpverlener",
  statusMine: "Jij hebt dit gesprek",
  statusOther: (name) => `Bij ${name}`,
  statusClosed: "Afgesloten — de bot neemt het weer over",
  statusNoHandoff: "Geen open overdracht — de bot praat met de jongere",
  heldElsewhere: (name) => `${name} heeft dit gesprek. Alleen ${name} kan de jongere antwoorden.`,
  heldClosed: "Dit gesprek is afgesloten. Je kunt de jongere hier niet meer antwoorden.",
  buttonsShown: "Knoppen:",
  noSummary: "Geen samenvatting.",
  noNotes: "Nog geen notities.",
  anonymous: "Anonieme jongere",
  facts: { channel: "Kanaal", topic: "Onderwerp", reason: "Reden", priority: "Prioriteit" },
  priority: { urgent: "Urgent", normal: "Normaal" },
  transferLabel: { worker: "Naam van de collega", team: "Naam van het team" },
  live: { closed: "Live-verbinding kwijt — opnieuw verbinden… Nieuwe gesprekken en berichten verschijnen weer zodra de verbinding terug is." },
  admin: {
    kind: { suicide_selfharm: "suïcide of zelfbeschadiging", unsafe: "niet veilig" },
    signal: { pattern: "vangnet", model: "bot" },
    verdict: { true_alarm: "Beoordeeld: terecht", false_alarm: "Beoordeeld: vals alarm" },
    verdictButton: { true_alarm: "Terecht", false_alarm: "Vals alarm" },
    conversationId: "Gesprek:",
    eraseNoId: "Vul het id van het gesprek in.",
    eraseNotSure: "Vink eerst aan dat je weet dat wissen niet terug te draaien is.",
    eraseUnknown: "Er is geen gesprek met dat id (misschien al gewist).",
    eraseInUse: "Dit gesprek staat in de wachtrij of is bij een hulpverlener. Sluit het eerst af.",
    erased: (id, botToo) => `Gesprek ${id} is gewist` + (botToo
      ? ", ook uit het geheugen van de bot."
      : ". De bot was niet bereikbaar: zijn kopie verdwijnt als de bot opnieuw start."),
  },
  stats: {
    conversations: "nieuwe gesprekken",
    messages: "berichten van jongeren",
    escalations: "overdrachten",
    urgent: (n) => `waarvan ${n} urgent`,
    wait: "wachttijd (mediaan)",
    fallback: "niet begrepen",
    messagesPerDay: "Berichten per dag",
    escalationsPerDay: "Overdrachten per dag",
    waitPerDay: "Wachttijd tot een hulpverlener (mediaan) per dag",
    fallbackPerDay: "Niet begrepen per dag",
    topIntents: "Waar jongeren mee komen",
    feedback: "Hoe vonden ze het gesprek?",
    rating: { goed: "goed", gaat_wel: "gaat wel", niet_goed: "niet goed" },
    none: "Nog niets in deze periode.",
    notUnderstood: "niet begrepen",
  },
  models: {
    trained: "getraind",
    active: "draait nu",
    activate: "Deze gebruiken",
    activateSure: "Echt? Alle gesprekken gaan er meteen mee verder",
    loading: (name) => `${name} wordt geladen; de bot blijft antwoorden met het oude model tot het klaar is…`,
    activated: (name) => `De bot draait nu op ${name}.`,
    failed: "De bot kon dit model niet laden; het oude draait nog.",
  },
  audit: {
    commandLine: "de opdrachtregel",
    conversation: "gesprek",
    account: "account",
    action: {
      read_transcript: "las het gesprek",
      claim: "pakte het gesprek op",
      reply: "stuurde een antwoord",
      transfer: "droeg het gesprek over",
      release: "zette het gesprek terug in de wachtrij",
      close: "sloot het gesprek af",
      erase: "wiste het gesprek",
      read_detections: "bekeek de crisissignalen",
      review_detection: "beoordeelde een crisissignaal",
      read_nlu_review: "bekeek Niet begrepen",
      label_nlu_example: "maakte een voorbeeld voor de training",
      ignore_nlu_message: "negeerde een niet begrepen bericht",
      activate_model: "zette een ander bot-model in gebruik",
      service_rules: "wijzigde openingstijden en bewaren",
      add_account: "maakte een account",
      change_account: "wijzigde de rol of het team van een account",
      deactivate_account: "deactiveerde een account",
      activate_account: "activeerde een account",
      new_password: "gaf een nieuw wachtwoord",
      new_api_token: "gaf een nieuwe API-sleutel",
    },
  },
  service: {
    saved: "Opgeslagen. De bot en de wachtrij gebruiken dit binnen een halve minuut.",
    lastChange: (who, when) => `Laatst gewijzigd door ${who}, ${when}.`,
    nothingSaved: "Er is niets opgeslagen.",
    fromEnv: "Nu gelden de waarden uit de configuratie (.env).",
    refused: {
      opening_hours: "De openingstijden kloppen niet",
      holidays: "De feestdagen kloppen niet",
      oncall_webhook_url: "De webhook moet een adres zijn dat met http:// of https:// begint, of leeg",
      retention_days: "Bewaren moet een aantal dagen zijn van 0 tot 3650",
    },
  },
  accounts: {
    role: { worker: "hulpverlener", admin: "beheerder" },
    team: "team",
    you: "(jij)",
    online: "online",
    offline: "offline",
    inactive: "gedeactiveerd",
    deactivate: "Deactiveren",
    deactivateSure: (name) => `Echt ${name} deactiveren?`,
    activate: "Weer toegang geven",
    changeRole: "Rol en team",
    roleLabel: (name) => `Rol van ${name}`,
    teamLabel: (name) => `Team van ${name} (mag leeg)`,
    roleSet: (name) => `De rol en het team van ${name} zijn aangepast; dat geldt meteen.`,
    newPassword: "Nieuw wachtwoord",
    newPasswordLabel: (name) => `Nieuw wachtwoord voor ${name} (minstens 10 tekens)`,
    save: "Opslaan",
    passwordSet: (name) => `${name} heeft een nieuw wachtwoord; wie nog ingelogd was, is uitgelogd. Geef het persoonlijk door.`,
    newToken: "Nieuwe API-sleutel",
    newTokenSure: "Echt? De oude sleutel stopt meteen",
    tokenReplaced: (name) => `Nieuwe API-sleutel van ${name} (alleen nu te zien; de oude werkt niet meer):`,
    deactivated: (name, released) => `${name} kan niet meer inloggen.` + (released
      ? ` ${released === 1 ? "Eén gesprek gaat" : `${released} gesprekken gaan`} terug naar de wachtrij.`
      : ""),
    activated: (name) => `${name} kan weer inloggen, met het oude wachtwoord en de oude API-sleutel.`,
    missing: "Vul een naam en een wachtwoord in.",
    taken: "Er is al een account met die naam.",
    // The server's reason is English (API); the admin gets it with a Dutch lead-in.
    refused: (reason) => `Niet gemaakt: ${reason}.`,
    added: (name) => `Account ${name} is gemaakt. Geef het wachtwoord persoonlijk door. Persoonlijke API-sleutel (alleen nu te zien, voor koppelingen):`,
  },
  nlu: {
    tab: { open: "Te doen", labelled: "Voorbeelden", ignored: "Genegeerd" },
    empty: {
      open: "Niets te doen: de bot begreep alles.",
      labelled: "Nog geen voorbeelden.",
      ignored: "Niets genegeerd.",
    },
    reason: { fallback: "niet begrepen", out_of_scope: "buiten onderwerp", unsure: "getwijfeld" },
    guess: "gok van de bot:",
    textLabel: "Tekst als voorbeeld",
    intentLabel: "Wat bedoelde de jongere?",
    choose: "Kies…",
    save: "Opslaan als voorbeeld",
    ignore: "Negeren",
    ignored: "Genegeerd",
    noIntent: "Kies eerst wat de jongere bedoelde.",
    // The server's reason is English (API); the admin gets it with a Dutch lead-in.
    refused: (reason) => `Niet opgeslagen: ${reason}.`,
    intents: {
      greet: "groet", goodbye: "afscheid", thank: "bedankt", affirm: "ja", deny: "nee",
      bot_challenge: "ben jij een bot?", request_human: "wil een mens spreken",
      ask_anonymous: "is het anoniem?", ask_cost: "kost het geld?",
      ask_opening_hours: "openingstijden", ask_what_is_this: "wat is dit?",
      ask_how_it_works: "hoe werkt het?", ask_location: "waar zijn jullie?",
      make_appointment: "afspraak maken", out_of_scope: "buiten onderwerp",
      topic_bullying: "pesten", topic_mood: "somber of gestrest", topic_home: "thuis",
      topic_school_work: "school of werk", topic_money: "geld",
      topic_substance: "alcohol of drugs", topic_relationships_sex: "relaties en seks",
      topic_justice: "politie of justitie",
      crisis_suicide_selfharm: "crisis: suïcide of zelfbeschadiging",
      crisis_unsafe: "crisis: niet veilig", ask_question: "wil iets vragen",
    },
  },
  errors: {
    network: "Geen verbinding met de server. Controleer je internet en probeer het opnieuw.",
    server: "Er ging iets mis op de server. Probeer het zo nog eens.",
    forbidden: "Dat mag je niet, of je sessie is verlopen. Herlaad de pagina.",
    loginFailed: "Naam of wachtwoord klopt niet.",
    loginMissing: "Vul je naam en je wachtwoord in.",
    loginTooMany: "Te vaak geprobeerd. Wacht even en probeer het dan opnieuw.",
    sessionExpired: "Je sessie is verlopen. Log opnieuw in.",
    claimLost: "Te laat: iemand anders heeft dit gesprek al.",
    closedAlready: "Dit gesprek is al afgesloten.",
    notFound: "Dit gesprek bestaat niet (meer).",
    notYours: "Pak het gesprek eerst op; alleen wie het gesprek heeft kan dit doen.",
    emptyOrLong: "Het bericht is leeg of te lang.",
    noOutcome: "Kies eerst een uitkomst.",
    noTransferTarget: "Vul in aan wie je het gesprek overdraagt.",
    noSuchColleague: "Er is geen collega met die naam.",
    goodbyeFailed: "Het gesprek is afgesloten, maar de bot kon de jongere nu geen afscheid sturen.",
    logoutFailed: "Uitloggen lukte niet helemaal. Sluit je browser als je een gedeelde computer gebruikt.",
  },
};

const CHANNELS = { whatsapp: "WhatsApp", telegram: "Telegram", webchat: "Webchat", rest: "REST" };
// Topic (domain.yml topic_* without the prefix, or crisis_*) and reason codes; an
// unknown code is shown as it is, underscores as spaces.
const LABELS = {
  bullying: "pesten",
  mood: "somber of gestrest",
  home: "thuis",
  school_work: "school of werk",
  money: "geld",
  substance: "alcohol of drugs",
  relationships_sex: "relaties en seks",
  justice: "politie of justitie",
  crisis_suicide_selfharm: "crisis: suïcide of zelfbeschadiging",
  crisis_unsafe: "crisis: niet veilig",
  request_human: "vroeg om een hulpverlener",
  offer_accepted: "nam het aanbod van een hulpverlener aan",
};

export function channelLabel(channel) {
  const name = str(channel);
  return CHANNELS[name] || name || "onbekend kanaal";
}

/** A readable label for a topic or reason code ("school_pesten" → "school pesten"). */
export function codeLabel(code) {
  const name = str(code);
  return LABELS[name] || name.replace(/_/g, " ");
}

export function deliveryProblemText(reason) {
  const reasons = {
    window_closed: "Niet afgeleverd: de jongere heeft 24 uur niets gestuurd, dus WhatsApp " +
      "laat alleen goedgekeurde sjablonen toe. Wacht tot de jongere weer iets stuurt.",
    blocked: "Niet afgeleverd: de jongere heeft de chat geblokkeerd.",
    undeliverable: "Niet afgeleverd: het platform kon het bericht niet bezorgen.",
  };
  return reasons[reason] || "Niet afgeleverd (" + (reason || "onbekende reden") + ").";
}
