"""Demo data: an admin, labelled providers in every label state, and a few SMEs.

Everything goes through the account and label services, so demo records obey the same rules
(identifiers, references, transitions, audit trail, mails) as real ones. The seed is idempotent:
records are recognised by email, SIRET or SIREN, and found ones are left alone. It flushes and
never commits: the caller (CLI, test) owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Company, Provider, Role, User
from marketplace.accounts.service import (
    CompanyData,
    ProviderData,
    UserData,
    create_admin,
    find_user_by_email,
    register_company,
    register_provider,
)
from marketplace.demo_diagnoses import seed_demo_diagnoses
from marketplace.identifiers import french_vat_number, make_siren, make_siret
from marketplace.labels.models import LabelStatus
from marketplace.labels.operations import (
    ApplicationData,
    Decision,
    ReferenceData,
    apply_for_label,
    decide_on_label,
    expire_lapsed_labels,
)
from marketplace.mail import Mailer
from marketplace.resources import sync_resources

DEMO_PASSWORD = "demo-password-2026"
DEMO_DOMAIN = "demo.croissance-connectee.fr"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
ADMIN_NAME = "Isabelle Fontaine"

APPROVAL_REASON = "Dossier complet, références vérifiées."
VOLUNTEER_APPROVAL_REASON = "Connecteur bénévole : charte signée, entretien de validation réalisé."
# Expired labels: approved this long before `today`, valid until `EXPIRED_SINCE_DAYS` ago, so that
# the ordinary expiry sweep (not a hand-set status) turns them into expired labels.
EXPIRED_APPROVED_DAYS_AGO = 400
EXPIRED_SINCE_DAYS = 30

COUNT_KEYS = ("admins", "providers", "companies", "labels", "diagnoses")


@dataclass(frozen=True)
class _Reference:
    client: str
    what: str
    years_ago: int


@dataclass(frozen=True)
class _DemoProvider:
    seed: int
    name: str
    kind: str
    department: str
    regions: tuple[str, ...]
    contact: str
    login: str
    bio: str
    categories: tuple[str, ...]
    label: LabelStatus
    turnover_cents: int = 0
    references: tuple[_Reference, ...] = ()
    certifications: str = ""
    languages: tuple[str, ...] = ("fr",)
    reason: str = ""
    valid_days: int = 365
    establishment: int = 1

    @property
    def email(self) -> str:
        return f"{self.login}@{DEMO_DOMAIN}"

    @property
    def siret(self) -> str:
        return make_siret(make_siren(self.seed), self.establishment)


@dataclass(frozen=True)
class _DemoCompany:
    seed: int
    name: str
    naf_code: str
    size_band: str
    department: str
    contact: str
    login: str

    @property
    def email(self) -> str:
        return f"{self.login}@{DEMO_DOMAIN}"

    @property
    def siren(self) -> str:
        return make_siren(self.seed)


R = _Reference
EXPERT, VOLUNTEER = "expert", "volunteer"
APPROVED, PENDING, REJECTED = LabelStatus.APPROVED, LabelStatus.PENDING, LabelStatus.REJECTED
SUSPENDED, EXPIRED = LabelStatus.SUSPENDED, LabelStatus.EXPIRED

PROVIDERS: tuple[_DemoProvider, ...] = (
    _DemoProvider(
        260_101,
        "Atelier Numérique Breton",
        EXPERT,
        "35",
        ("53", "52"),
        "Gwenaëlle Le Goff",
        "gwenaelle.legoff",
        "Agence rennaise qui conçoit sites vitrines et boutiques en ligne pour les artisans et "
        "commerçants bretons. Nous formons vos équipes pour qu'elles restent autonomes.",
        ("online-presence", "ecommerce", "marketing"),
        APPROVED,
        14_200_000,
        (
            R(
                "Biscuiterie de la Côte d'Émeraude",
                "Refonte du site et boutique en ligne, 1 200 commandes la première année.",
                1,
            ),
            R("Cidrerie Le Gall", "Site vitrine bilingue et fiche d'établissement locale.", 2),
            R("Librairie Ty Lenn", "Retrait en magasin et stock synchronisé avec la caisse.", 3),
        ),
        "Qualiopi (actions de formation)",
        ("fr", "en"),
    ),
    _DemoProvider(
        260_102,
        "Pixel & Terroir",
        EXPERT,
        "24",
        ("75",),
        "Julien Lacoste",
        "julien.lacoste",
        "Nous aidons les producteurs et artisans de bouche du Sud-Ouest à vendre en ligne : "
        "site, boutique, réseaux sociaux. Photos et rédaction comprises.",
        ("online-presence", "ecommerce", "marketing"),
        APPROVED,
        8_750_000,
        (
            R("Conserverie Lafon-Roques", "Boutique en ligne et expédition de colis frais.", 1),
            R("Domaine des Trois Noyers", "Site œnotouristique avec réservation des visites.", 2),
            R("Ferme du Bourdeix", "Stratégie Instagram et campagnes publicitaires locales.", 0),
        ),
    ),
    _DemoProvider(
        260_103,
        "Cyberveille Occitanie",
        EXPERT,
        "31",
        ("76",),
        "Samia Benali",
        "samia.benali",
        "Audit de sécurité, sensibilisation au hameçonnage et plan de sauvegarde pour les TPE et "
        "PME d'Occitanie. Intervention sous 48 heures en cas d'incident.",
        ("cybersecurity", "data-ai", "training"),
        APPROVED,
        21_000_000,
        (
            R(
                "Transports Castanet",
                "Audit de sécurité et sauvegardes externalisées chiffrées.",
                1,
            ),
            R(
                "Cabinet comptable Garonne Audit",
                "Sensibilisation de 25 collaborateurs et exercice d'hameçonnage.",
                2,
            ),
            R(
                "Clinique vétérinaire des Minimes",
                "Reprise après un rançongiciel et durcissement du réseau.",
                3,
            ),
        ),
        "Label ExpertCyber ; ISO 27001 Lead Implementer",
        ("fr", "en", "es"),
    ),
    _DemoProvider(
        260_104,
        "Nord Data Conseil",
        EXPERT,
        "59",
        ("32",),
        "Thomas Vandenbroucke",
        "thomas.vandenbroucke",
        "Cabinet lillois spécialisé dans la donnée : tableaux de bord, conformité RGPD et "
        "premiers usages de l'IA. Nous partons toujours de vos fichiers existants.",
        ("data-ai", "crm", "management"),
        APPROVED,
        16_500_000,
        (
            R(
                "Brasserie artisanale des Flandres",
                "Tableau de bord des ventes et prévision de la production.",
                1,
            ),
            R("Menuiseries Delattre", "Mise en conformité RGPD et registre des traitements.", 2),
            R("Pharmacie du Beffroi", "Segmentation clientèle et programme de fidélité.", 4),
        ),
        "DPO certifié (référentiel CNIL)",
        ("fr", "en"),
    ),
    _DemoProvider(
        260_105,
        "Gestion Claire Alsace",
        EXPERT,
        "67",
        ("44",),
        "Élodie Meyer",
        "elodie.meyer",
        "Intégratrice de logiciels de gestion et de facturation pour les PME alsaciennes. "
        "Nous préparons votre passage à la facture électronique obligatoire.",
        ("management", "crm"),
        APPROVED,
        23_400_000,
        (
            R("Boucherie-Charcuterie Wolff", "Logiciel de caisse et gestion des stocks.", 1),
            R(
                "Transports Kieffer",
                "Déploiement d'un ERP et dématérialisation des factures fournisseurs.",
                2,
            ),
            R("Imprimerie Hartmann", "CRM commercial et devis en ligne.", 3),
        ),
        "Partenaire intégrateur ERP certifié",
        ("fr", "de"),
    ),
    _DemoProvider(
        260_106,
        "Azur Commerce Connecté",
        EXPERT,
        "06",
        ("93", "94"),
        "Lucas Giordano",
        "lucas.giordano",
        "Nous ouvrons les boutiques de la Côte d'Azur aux places de marché et aux clients "
        "étrangers. Traductions, logistique et paiement international compris.",
        ("ecommerce", "export", "marketing"),
        APPROVED,
        19_800_000,
        (
            R(
                "Savonnerie du Vieux-Nice",
                "Boutique en ligne multilingue et ouverture sur une place de marché européenne.",
                1,
            ),
            R("Moulin à huile Cauvin", "Vente à distance vers l'Italie et l'Allemagne.", 2),
            R(
                "Céramiques Vallauris Terre",
                "Campagnes publicitaires ciblées et catalogue en ligne.",
                0,
            ),
        ),
        "",
        ("fr", "en", "it"),
        valid_days=180,
    ),
    _DemoProvider(
        260_107,
        "Normandie Web Solutions",
        EXPERT,
        "14",
        ("28",),
        "Camille Lefebvre",
        "camille.lefebvre",
        "Sites vitrines rapides et référencement local pour les commerces et artisans normands. "
        "Un interlocuteur unique, de la maquette à la mise en ligne.",
        ("online-presence", "marketing"),
        APPROVED,
        7_600_000,
        (
            R("Cave à cidre du Pays d'Auge", "Site vitrine et vente de coffrets cadeaux.", 1),
            R("Garage Lemarchand", "Site vitrine et prise de rendez-vous en ligne.", 2),
            R("Hôtel Les Embruns", "Référencement local et gestion des avis clients.", 3),
        ),
        "Certification Google Ads",
    ),
    _DemoProvider(
        260_108,
        "Sobriété Numérique Conseil",
        EXPERT,
        "69",
        ("84",),
        "Hélène Dubois-Martin",
        "helene.dubois-martin",
        "Nous mesurons l'empreinte de votre parc informatique et de votre site, puis vous aidons "
        "à la réduire. Formations pour dirigeants et équipes.",
        ("green", "training"),
        APPROVED,
        9_400_000,
        (
            R("Imprimerie des Pentes", "Bilan carbone du numérique et plan de réduction.", 1),
            R(
                "Coopérative agricole des Monts du Lyonnais",
                "Formation de 40 salariés au numérique responsable.",
                2,
            ),
            R(
                "Bellecour Habitat",
                "Écoconception du site et allongement de la durée de vie du parc.",
                3,
            ),
        ),
        "Label Numérique Responsable ; Qualiopi",
    ),
    _DemoProvider(
        260_109,
        "Bourgogne Digital Export",
        EXPERT,
        "21",
        ("27",),
        "Antoine Girard",
        "antoine.girard",
        "Accompagnement des PME bourguignonnes qui veulent vendre hors de France : places de "
        "marché étrangères, traduction et TVA de la vente à distance.",
        ("export", "ecommerce"),
        APPROVED,
        12_300_000,
        (
            R("Moutarderie du Val de Saône", "Vente en ligne vers l'Allemagne et la Belgique.", 1),
            R(
                "Domaine Morel-Chaumont",
                "Boutique export et déclarations de TVA au guichet OSS.",
                2,
            ),
            R("Biscuiterie du Morvan", "Catalogue sur une place de marché britannique.", 4),
        ),
        "",
        ("fr", "en", "de"),
        valid_days=45,
    ),
    _DemoProvider(
        260_110,
        "Ligérienne de Cybersécurité",
        EXPERT,
        "44",
        ("52", "53"),
        "Yann Guérin",
        "yann.guerin",
        "Équipe nantaise de cinq consultants : audits, tests d'intrusion et formation des "
        "salariés aux bons réflexes. Nous parlons simplement de sujets techniques.",
        ("cybersecurity", "training"),
        APPROVED,
        26_700_000,
        (
            R("Chantiers navals de l'Erdre", "Test d'intrusion et plan de remédiation.", 1),
            R(
                "Biscuiterie nantaise artisanale",
                "Sensibilisation des équipes et double authentification.",
                2,
            ),
            R(
                "Cabinet d'architectes Graslin",
                "Sauvegardes chiffrées et politique de mots de passe.",
                3,
            ),
        ),
        "Label ExpertCyber",
    ),
    _DemoProvider(
        260_111,
        "Alpes CRM & Co",
        EXPERT,
        "38",
        ("84",),
        "Nadia Bouzid",
        "nadia.bouzid",
        "Mise en place de CRM simples pour les PME industrielles et de services des Alpes, avec "
        "relances et campagnes e-mail automatisées.",
        ("crm", "marketing", "data-ai"),
        PENDING,
        11_200_000,
        (
            R("Décolletage Bouvier", "CRM commercial et suivi des devis.", 1),
            R("École de ski des Écrins", "Campagnes e-mail et fichier clients unifié.", 2),
            R(
                "Coutellerie du Grésivaudan",
                "Relances automatiques et tableau de bord commercial.",
                0,
            ),
        ),
    ),
    _DemoProvider(
        260_112,
        "Île de Code",
        EXPERT,
        "75",
        ("11",),
        "Maxime Roussel",
        "maxime.roussel",
        "Studio parisien de développement sur mesure : sites, boutiques et intégrations avec vos "
        "outils de gestion. Nous livrons par étapes courtes.",
        ("online-presence", "ecommerce", "data-ai", "management"),
        PENDING,
        31_500_000,
        (
            R("Torréfaction du Marais", "Boutique en ligne avec abonnements.", 1),
            R("Les Jardins de Belleville", "Site et commande en ligne avec livraison.", 2),
            R(
                "Cabinet dentaire Saint-Ambroise",
                "Prise de rendez-vous reliée au logiciel du cabinet.",
                3,
            ),
        ),
        "",
        ("fr", "en"),
        establishment=2,
    ),
    _DemoProvider(
        260_113,
        "Réunion Numérique Péi",
        EXPERT,
        "974",
        ("04",),
        "Sandrine Payet",
        "sandrine.payet",
        "Agence de Saint-Denis qui accompagne les entreprises réunionnaises sur le web et les "
        "réseaux sociaux.",
        ("online-presence", "marketing"),
        PENDING,
        6_800_000,
        (
            R(
                "Distillerie artisanale de Saint-Pierre",
                "Site vitrine et boutique de produits dérivés.",
                1,
            ),
            R("Vanille des Hauts", "Stratégie réseaux sociaux et photos des produits.", 2),
            R("Gîtes du Piton", "Réservation en ligne et référencement local.", 3),
        ),
    ),
    _DemoProvider(
        260_114,
        "Corsica Web Studio",
        EXPERT,
        "2A",
        ("94",),
        "Paul-Antoine Santoni",
        "paul-antoine.santoni",
        "Création de sites et de boutiques pour les entreprises corses, du tourisme aux produits "
        "du terroir.",
        ("online-presence", "ecommerce"),
        REJECTED,
        4_500_000,
        (
            R("Charcuterie Casanova", "Boutique en ligne de produits AOP.", 1),
            R("Camping U Fiumicellu", "Site de réservation saisonnière.", 2),
            R("Cave Orsini", "Site vitrine et vente de coffrets.", 3),
        ),
        "",
        ("fr", "it"),
        reason="Références invérifiables : les clients cités n'ont pas confirmé les prestations. "
        "Vous pouvez déposer une nouvelle demande.",
    ),
    _DemoProvider(
        260_115,
        "Val de Loire Facturation",
        EXPERT,
        "37",
        ("24",),
        "Sophie Moreau",
        "sophie.moreau",
        "Paramétrage de logiciels de facturation et accompagnement vers la facture électronique "
        "pour les TPE de Touraine.",
        ("management",),
        REJECTED,
        1_900_000,
        (
            R("Pâtisserie Rabelais", "Logiciel de facturation et de caisse.", 1),
            R("Plomberie Chauvin", "Devis et factures depuis le téléphone.", 2),
            R("Gîtes de la Vallée du Cher", "Facturation des séjours et acomptes.", 4),
        ),
        reason="Le chiffre d'affaires déclaré ne correspond pas aux références fournies ; "
        "merci de joindre les justificatifs.",
    ),
    _DemoProvider(
        260_116,
        "Provence Référencement",
        EXPERT,
        "13",
        ("93",),
        "Karim Haddad",
        "karim.haddad",
        "Référencement naturel et publicité en ligne pour les commerces de Marseille et "
        "d'Aix-en-Provence.",
        ("marketing", "online-presence"),
        EXPIRED,
        8_200_000,
        (
            R("Savonnerie de la Joliette", "Référencement naturel et contenu du blog.", 1),
            R("Restaurant Le Vallon des Auffes", "Publicité locale et gestion des avis.", 2),
            R("Calissons d'Aix Roumanille", "Campagnes saisonnières avant les fêtes.", 3),
        ),
        "Certification Google Ads",
    ),
    _DemoProvider(
        260_117,
        "Champagne Logiciels",
        EXPERT,
        "51",
        ("44",),
        "Céline Petit",
        "celine.petit",
        "Intégration de solutions de gestion pour les maisons de champagne et les négociants, "
        "de la vendange à la facturation.",
        ("management", "crm"),
        EXPIRED,
        17_300_000,
        (
            R("Champagne Lemaire-Rousseau", "Gestion des stocks de bouteilles et des lots.", 1),
            R("Négoce Vallée de la Marne", "CRM des cavistes et relances commerciales.", 2),
            R("Tonnellerie rémoise", "ERP et dématérialisation des factures.", 4),
        ),
    ),
    _DemoProvider(
        260_118,
        "Auvergne Net Services",
        EXPERT,
        "63",
        ("84",),
        "Romain Chabrol",
        "romain.chabrol",
        "Infogérance, sites web et sécurité pour les PME du Puy-de-Dôme et du Cantal.",
        ("online-presence", "cybersecurity"),
        SUSPENDED,
        10_100_000,
        (
            R("Coutellerie de Thiers Bastide", "Site vitrine et sauvegardes.", 1),
            R("Fromagerie du Cantal Lavergne", "Infogérance du parc informatique.", 2),
            R("Thermes de Royat-Ouest", "Pare-feu et messagerie sécurisée.", 3),
        ),
        reason="Plusieurs réclamations de clients pour des prestations non livrées ; "
        "label suspendu le temps de l'enquête.",
    ),
    _DemoProvider(
        260_119,
        "Connecteurs du Finistère",
        VOLUNTEER,
        "29",
        ("53",),
        "Jean-Yves Kerbrat",
        "jean-yves.kerbrat",
        "Association de connecteurs bénévoles : d'anciens chefs d'entreprise aident gratuitement "
        "les commerçants à faire leurs premiers pas numériques.",
        ("training", "online-presence"),
        APPROVED,
    ),
    _DemoProvider(
        260_120,
        "Entraide Numérique Limousin",
        VOLUNTEER,
        "87",
        ("75",),
        "Martine Faure",
        "martine.faure",
        "Connectrice bénévole et ancienne directrice informatique, j'aide les TPE limousines à "
        "choisir leurs outils et à adopter un numérique sobre.",
        ("training", "green"),
        APPROVED,
        references=(R("Épicerie solidaire de Saint-Junien", "Choix d'un logiciel de caisse.", 1),),
    ),
    _DemoProvider(
        260_121,
        "Les Bénévoles du Clic",
        VOLUNTEER,
        "34",
        ("76",),
        "Bernard Rouquette",
        "bernard.rouquette",
        "Retraité du commerce, je conseille bénévolement les artisans héraultais sur les réseaux "
        "sociaux et la vente en ligne.",
        ("training", "marketing"),
        PENDING,
    ),
)

COMPANIES: tuple[_DemoCompany, ...] = (
    _DemoCompany(
        260_201,
        "Boulangerie Les Canuts",
        "10.71C",
        "3-9",
        "69",
        "Marie Chevalier",
        "marie.chevalier",
    ),
    _DemoCompany(
        260_202, "Quincaillerie Duval", "47.52A", "10-49", "35", "Hervé Duval", "herve.duval"
    ),
    _DemoCompany(
        260_203,
        "Château Bellerive-Lalande",
        "01.21Z",
        "10-49",
        "33",
        "Aurélie Castaing",
        "aurelie.castaing",
    ),
    _DemoCompany(
        260_204,
        "Menuiserie Schneider & Fils",
        "16.23Z",
        "50-249",
        "68",
        "Frédéric Schneider",
        "frederic.schneider",
    ),
    _DemoCompany(
        260_205,
        "Fromagerie des Aravis",
        "10.51C",
        "0-2",
        "74",
        "Lucie Perrillat",
        "lucie.perrillat",
    ),
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    organisation: str = ""
    detail: str = ""


@dataclass
class DemoSummary:
    """What the seed did, so the CLI can tell someone how to log in and whether it was a re-run."""

    logins: list[DemoLogin] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    already_present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    password: str = DEMO_PASSWORD

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


def seed_demo(session: Session, mailer: Mailer, today: date) -> DemoSummary:
    """Create the demo records that are missing; flush, never commit."""
    summary = DemoSummary()
    # Demo data is French, whoever runs the seed (mails and reasons are written in it).
    with force_locale("fr"):
        admin = _seed_admin(session, summary)
        expired_created = False
        for spec in PROVIDERS:
            expired_created |= _seed_provider(session, mailer, admin, spec, today, summary)
        if expired_created:
            # The daily sweep, run now, is what turns the back-dated approvals into expired labels.
            expire_lapsed_labels(session, mailer, today)
        for company in COMPANIES:
            _seed_company(session, company, summary)
        sync_resources(session)
        created, present = seed_demo_diagnoses(
            session, DEMO_DOMAIN, datetime.combine(today, time(12), UTC)
        )
        summary.created["diagnoses"] += created
        summary.already_present["diagnoses"] += present
    session.flush()
    return summary


def _seed_admin(session: Session, summary: DemoSummary) -> User:
    admin = find_user_by_email(session, ADMIN_EMAIL)
    if admin is None:
        admin = create_admin(session, ADMIN_EMAIL, DEMO_PASSWORD, ADMIN_NAME)
        summary.created["admins"] += 1
    else:
        summary.already_present["admins"] += 1
    summary.logins.append(DemoLogin(Role.ADMIN.value, admin.email, "Croissance Connectée"))
    return admin


def _seed_provider(
    session: Session,
    mailer: Mailer,
    admin: User,
    spec: _DemoProvider,
    today: date,
    summary: DemoSummary,
) -> bool:
    """Register one provider and play its label story; True if it made a label to expire."""
    user = find_user_by_email(session, spec.email)
    provider = session.scalar(select(Provider).where(Provider.siret == spec.siret))
    if user is None and provider is None:
        user = register_provider(session, _provider_user(spec), _provider_data(spec))
        provider = user.provider
        summary.created["providers"] += 1
    else:
        summary.already_present["providers"] += 1
        provider = provider or (user.provider if user else None)
    made_expired = False
    if provider is not None and user is not None and user.provider is provider:
        if provider.labels:
            summary.already_present["labels"] += 1
        else:
            _play_label_story(session, mailer, admin, user, spec, today)
            summary.created["labels"] += 1
            made_expired = spec.label == EXPIRED
    label = provider.current_label if provider is not None else None
    # After the expiry sweep the status will be "expired"; say so already.
    status = spec.label if made_expired else (label.status if label else None)
    detail = f"{spec.kind}, label {status.value}" if status else spec.kind
    summary.logins.append(
        DemoLogin(Role.PROVIDER.value, spec.email if user else "", spec.name, detail)
    )
    return made_expired


def _provider_user(spec: _DemoProvider) -> UserData:
    return UserData(email=spec.email, password=DEMO_PASSWORD, full_name=spec.contact)


def _provider_data(spec: _DemoProvider) -> ProviderData:
    siret = spec.siret
    return ProviderData(
        name=spec.name,
        siret=siret,
        kind=spec.kind,
        department_code=spec.department,
        vat_number=french_vat_number(siret[:9]) if spec.kind == EXPERT else "",
        regions=spec.regions,
        remote_ok=True,
        languages=spec.languages,
        bio=spec.bio,
    )


def _application(spec: _DemoProvider, applied_on: date) -> ApplicationData:
    return ApplicationData(
        categories=spec.categories,
        similar_projects_turnover_cents=spec.turnover_cents,
        certifications=spec.certifications,
        references=[
            ReferenceData(
                client_name=r.client, description=r.what, year=applied_on.year - r.years_ago
            )
            for r in spec.references
        ],
        sworn_statement=True,
    )


def _play_label_story(
    session: Session, mailer: Mailer, admin: User, user: User, spec: _DemoProvider, today: date
) -> None:
    """Apply, then take the decisions that lead to the wanted status, as an admin would."""
    provider = user.provider
    assert provider is not None
    approval = VOLUNTEER_APPROVAL_REASON if spec.kind == VOLUNTEER else APPROVAL_REASON
    if spec.label == EXPIRED:
        # decide_on_label only accepts a future validity date, so approve "in the past".
        applied_on = today - timedelta(days=EXPIRED_APPROVED_DAYS_AGO)
        label = apply_for_label(session, user, provider, _application(spec, applied_on), applied_on)
        decide_on_label(
            session,
            admin,
            label,
            Decision.APPROVE,
            approval,
            mailer,
            applied_on,
            valid_until=today - timedelta(days=EXPIRED_SINCE_DAYS),
        )
        return
    label = apply_for_label(session, user, provider, _application(spec, today), today)
    if spec.label == PENDING:
        return
    if spec.label == REJECTED:
        decide_on_label(session, admin, label, Decision.REJECT, spec.reason, mailer, today)
        return
    decide_on_label(
        session,
        admin,
        label,
        Decision.APPROVE,
        approval,
        mailer,
        today,
        validity_days=spec.valid_days,
    )
    if spec.label == SUSPENDED:
        decide_on_label(session, admin, label, Decision.SUSPEND, spec.reason, mailer, today)


def _seed_company(session: Session, spec: _DemoCompany, summary: DemoSummary) -> None:
    user = find_user_by_email(session, spec.email)
    exists = session.scalar(select(Company.id).where(Company.siren == spec.siren))
    if user is None and exists is None:
        user = register_company(
            session,
            UserData(email=spec.email, password=DEMO_PASSWORD, full_name=spec.contact),
            CompanyData(
                name=spec.name,
                siren=spec.siren,
                size_band=spec.size_band,
                naf_code=spec.naf_code,
                department_code=spec.department,
            ),
        )
        summary.created["companies"] += 1
    else:
        summary.already_present["companies"] += 1
    detail = f"NAF {spec.naf_code}, {spec.size_band} salariés, dépt {spec.department}"
    summary.logins.append(
        DemoLogin(Role.COMPANY.value, spec.email if user else "", spec.name, detail)
    )


def format_logins(summary: DemoSummary) -> str:
    """A plain-text table of the demo logins and the shared password, for the terminal."""
    rows = [("Role", "Email", "Organisation", "Details")]
    rows += [
        (login.role, login.email or "(account missing)", login.organisation, login.detail)
        for login in summary.logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]

    def line(row: tuple[str, str, str, str]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[3]]).rstrip()

    rule = "  ".join("-" * width for width in [*widths, len(rows[0][3])])
    created = ", ".join(f"{summary.created[key]} {key}" for key in COUNT_KEYS)
    present = ", ".join(f"{summary.already_present[key]} {key}" for key in COUNT_KEYS)
    return "\n".join(
        [
            f"Demo data: created {created}; already present {present}.",
            "",
            line(rows[0]),
            rule,
            *(line(row) for row in rows[1:]),
            "",
            f"Password for every demo account: {summary.password}",
        ]
    )
