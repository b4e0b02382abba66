"""Demo offers: about 300 realistic French offers from the demo providers with a live label.

Offers are generated from templates (what is sold, per category) crossed with the sectors they
are written for, so the catalogue reads as varied as a real one and search has the words SMEs
type ("site vitrine", "boutique en ligne", "cybersécurité", "RGPD", "facturation électronique"…).
Everything is deterministic (orders are shuffled with fixed seeds) and goes through the catalogue
services (create, then publish), so demo offers obey the publishing rules. Idempotent by
(provider, title); it flushes and never commits.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Provider, ProviderKind, User
from marketplace.catalog.models import Offer
from marketplace.catalog.operations import OfferData, create_offer, publish_offer
from marketplace.directory import has_live_label
from marketplace.errors import Conflict
from marketplace.geo import REGION_BY_CODE
from marketplace.taxonomy import LANGUAGE_NAMES

TARGET_OFFERS = 300
VOLUNTEER_OFFERS = 15  # per volunteer advisor; experts share the rest


@dataclass(frozen=True)
class _Sector:
    name: str  # "les restaurants et cafés": reads after "pour"
    client: str  # "votre restaurant": reads after "de" / "pour"
    factor: int  # price adjustment in percent (bigger businesses, bigger projects)


SECTORS: tuple[_Sector, ...] = (
    _Sector("les artisans du bâtiment", "votre entreprise artisanale", 100),
    _Sector("les restaurants et cafés", "votre restaurant", 95),
    _Sector("les commerces de proximité", "votre commerce", 90),
    _Sector("les boulangeries-pâtisseries", "votre boulangerie", 90),
    _Sector("les professions libérales", "votre cabinet", 100),
    _Sector("les hôtels, gîtes et campings", "votre établissement", 110),
    _Sector("les exploitations agricoles et viticoles", "votre exploitation", 105),
    _Sector("les garages automobiles", "votre garage", 100),
    _Sector("les salons de coiffure et instituts", "votre salon", 85),
    _Sector("les PME industrielles", "votre usine", 140),
    _Sector("les associations et l'ESS", "votre association", 80),
    _Sector("les boutiques de créateurs", "votre boutique", 90),
    _Sector("les transporteurs et logisticiens", "votre entreprise de transport", 125),
    _Sector("les agences immobilières", "votre agence", 115),
    _Sector("les pharmacies et opticiens", "votre officine", 110),
    _Sector("les cabinets d'expertise comptable", "votre cabinet comptable", 120),
)


@dataclass(frozen=True)
class _Template:
    category: str
    title: str  # "{sector}": "les restaurants et cafés"; "{who}": "restaurants et cafés"
    summary: str
    description: str  # "{client}", "{region}" and "{provider}" are replaced
    price_cents: int
    unit: str
    duration_days: int | None
    delivery: str
    needs: tuple[str, ...] = ()
    vat_rate_bp: int = 2000


T = _Template
FIXED, PER_DAY, PER_HOUR, PER_MONTH, PER_SESSION = (
    "fixed",
    "per_day",
    "per_hour",
    "per_month",
    "per_session",
)
REMOTE, ON_SITE, HYBRID = "remote", "on_site", "hybrid"

TEMPLATES: dict[str, tuple[_Template, ...]] = {
    "online-presence": (
        T(
            "online-presence",
            "Site vitrine clé en main pour {sector}",
            "Un site vitrine professionnel, rapide et adapté au mobile, livré en quelques "
            "semaines avec vos textes, vos photos et votre fiche d'établissement.",
            "Nous concevons le site web de {client} : maquette, rédaction des pages, formulaire "
            "de contact, mentions légales et bannière cookies conforme au RGPD. Le site vitrine "
            "est optimisé pour le référencement local en {region} et vous formons à le mettre "
            "à jour vous-même. Hébergement et nom de domaine inclus la première année.",
            240_000,
            FIXED,
            30,
            HYBRID,
            ("marketing",),
        ),
        T(
            "online-presence",
            "Refonte de site web pour {sector}",
            "Votre site web a vieilli ? Nous le refondons : design actuel, contenus réécrits, "
            "vitesse, accessibilité et référencement préservé.",
            "Audit de l'existant, reprise des contenus utiles, redirections pour ne rien perdre "
            "en référencement, nouveau site vitrine responsive et formation de l'équipe de "
            "{client}. Accompagnement par {provider}, présent en {region}.",
            420_000,
            FIXED,
            45,
            HYBRID,
            ("marketing",),
        ),
        T(
            "online-presence",
            "Fiche d'établissement et avis clients pour {sector}",
            "Être trouvé sur les cartes et moteurs de recherche : fiche d'établissement complète, "
            "photos, horaires et réponse aux avis clients.",
            "Nous créons ou reprenons la fiche d'établissement de {client}, l'harmonisons avec "
            "votre site web et les annuaires, et vous apprenons à répondre aux avis. Idéal pour "
            "gagner en visibilité locale en {region}.",
            45_000,
            FIXED,
            5,
            REMOTE,
            ("marketing",),
        ),
        T(
            "online-presence",
            "Maintenance et sauvegarde de site web pour {sector}",
            "Mises à jour de sécurité, sauvegarde quotidienne, surveillance de disponibilité et "
            "petites modifications chaque mois.",
            "Votre site vitrine reste à jour et protégé : mises à jour, sauvegarde externalisée, "
            "certificat HTTPS, rapport mensuel et une heure de modifications incluse. Pour "
            "{client}, sans engagement au-delà de trois mois.",
            6_900,
            PER_MONTH,
            None,
            REMOTE,
            ("cybersecurity",),
        ),
        T(
            "online-presence",
            "Site web avec prise de rendez-vous en ligne pour {sector}",
            "Un site web qui prend les rendez-vous à votre place, avec rappels par SMS et "
            "agenda synchronisé.",
            "Site vitrine avec module de réservation, confirmation et rappel automatiques, "
            "paiement d'acompte possible. Mise en place pour {client} et formation de "
            "l'équipe en {region}.",
            310_000,
            FIXED,
            30,
            HYBRID,
            ("crm",),
        ),
    ),
    "ecommerce": (
        T(
            "ecommerce",
            "Boutique en ligne clé en main pour {sector}",
            "Votre boutique en ligne prête à vendre : catalogue, paiement sécurisé, livraison "
            "et retrait en magasin.",
            "Nous installons et paramétrons la boutique en ligne de {client} : fiches produits, "
            "paiement en ligne, frais de port, conditions générales de vente et RGPD. Formation "
            "à la gestion des commandes. Le commerce en ligne, sans y passer vos soirées.",
            580_000,
            FIXED,
            45,
            HYBRID,
            ("online-presence", "marketing"),
        ),
        T(
            "ecommerce",
            "Click & collect et stock synchronisé pour {sector}",
            "Vendez en ligne, retirez en magasin : le stock de la caisse et celui du site "
            "e-commerce restent synchronisés.",
            "Connexion de votre logiciel de caisse à la boutique en ligne, retrait en magasin, "
            "notifications client. Mise en place chez {client}, en {region} ou à distance.",
            350_000,
            FIXED,
            20,
            HYBRID,
            ("management",),
        ),
        T(
            "ecommerce",
            "Vendre sur les places de marché : accompagnement pour {sector}",
            "Ouvrir et animer vos boutiques sur les places de marché, sans multiplier les saisies.",
            "Choix des places de marché adaptées, création des comptes, import du catalogue, "
            "synchronisation des commandes avec votre e-commerce et suivi des premières ventes "
            "de {client}.",
            75_000,
            PER_DAY,
            5,
            REMOTE,
            ("export",),
        ),
        T(
            "ecommerce",
            "Paiement en ligne et lien de paiement pour {sector}",
            "Encaissez à distance : paiement en ligne sur votre site, liens de paiement par "
            "e-mail ou SMS, acomptes.",
            "Ouverture du compte de paiement, intégration au site web ou à la boutique en ligne "
            "de {client}, tests et formation. Frais bancaires expliqués sans jargon.",
            90_000,
            FIXED,
            7,
            REMOTE,
            ("online-presence",),
        ),
        T(
            "ecommerce",
            "Audit et optimisation de votre boutique en ligne ({who})",
            "Plus de ventes avec le même trafic : parcours d'achat, fiches produits, panier "
            "abandonné et vitesse.",
            "Analyse des statistiques, tests utilisateurs, recommandations classées par impact "
            "et mise en œuvre des plus rentables sur le site e-commerce de {client}.",
            120_000,
            FIXED,
            10,
            REMOTE,
            ("marketing", "data-ai"),
        ),
    ),
    "marketing": (
        T(
            "marketing",
            "Référencement naturel (SEO) pour {sector}",
            "Remonter dans les résultats de recherche sur les mots que tapent vos clients, "
            "près de chez vous.",
            "Audit technique, choix des mots-clés, optimisation des pages et du référencement "
            "local en {region}, rédaction de contenus. Rapport mensuel pour {client}.",
            65_000,
            PER_MONTH,
            None,
            REMOTE,
            ("online-presence",),
        ),
        T(
            "marketing",
            "Réseaux sociaux : stratégie et calendrier éditorial pour {sector}",
            "Savoir quoi publier, où et quand : une stratégie simple et trois mois de "
            "publications préparées.",
            "Atelier de positionnement, choix des réseaux, charte visuelle, calendrier "
            "éditorial et modèles de publications pour {client}. Suivi des résultats.",
            180_000,
            FIXED,
            20,
            HYBRID,
            ("online-presence",),
        ),
        T(
            "marketing",
            "Campagnes publicitaires en ligne pour {sector}",
            "Des annonces ciblées sur votre zone de chalandise, avec un budget maîtrisé et des "
            "résultats mesurés.",
            "Paramétrage des campagnes, ciblage géographique en {region}, annonces, suivi des "
            "conversions et optimisation hebdomadaire pour {client}. Budget publicitaire en sus.",
            55_000,
            PER_MONTH,
            None,
            REMOTE,
            ("data-ai",),
        ),
        T(
            "marketing",
            "E-mailing et newsletter pour {sector}",
            "Fidéliser vos clients avec une lettre d'information régulière, conforme au RGPD.",
            "Collecte des consentements, modèle de newsletter à vos couleurs, segmentation "
            "simple et trois premiers envois accompagnés pour {client}.",
            95_000,
            FIXED,
            15,
            REMOTE,
            ("crm", "data-ai"),
        ),
    ),
    "crm": (
        T(
            "crm",
            "Mise en place d'un CRM pour {sector}",
            "Vos contacts, devis et relances au même endroit : un CRM simple, paramétré pour "
            "votre métier.",
            "Choix de l'outil, reprise des fichiers clients, pipeline commercial, modèles de "
            "relance et formation de l'équipe de {client}. Données hébergées en Europe, "
            "conformes au RGPD.",
            320_000,
            FIXED,
            25,
            HYBRID,
            ("data-ai", "management"),
        ),
        T(
            "crm",
            "Fidélisation client et programme de points pour {sector}",
            "Faire revenir vos clients : carte de fidélité dématérialisée, offres ciblées et "
            "relances automatiques.",
            "Conception du programme, paramétrage dans votre CRM ou votre caisse, campagnes "
            "automatiques d'anniversaire et de relance pour {client}.",
            160_000,
            FIXED,
            15,
            REMOTE,
            ("marketing",),
        ),
        T(
            "crm",
            "Accompagnement CRM à la journée pour {sector}",
            "Un consultant à vos côtés pour structurer la relation client et tirer parti de "
            "votre CRM existant.",
            "Diagnostic des usages, nettoyage de la base, tableaux de bord commerciaux, "
            "automatisations. Interventions chez {client} en {region} ou à distance.",
            68_000,
            PER_DAY,
            None,
            HYBRID,
            ("data-ai",),
        ),
    ),
    "management": (
        T(
            "management",
            "Passage à la facturation électronique pour {sector}",
            "Être prêt pour l'obligation de facturation électronique : choix de la plateforme, "
            "paramétrage et formation.",
            "Nous préparons {client} à la réforme : état des lieux, choix d'une plateforme "
            "agréée, paramétrage des flux de factures, archivage et formation. Un calendrier "
            "clair, sans mauvaise surprise.",
            190_000,
            FIXED,
            20,
            HYBRID,
            ("data-ai",),
        ),
        T(
            "management",
            "Logiciel de gestion (ERP) pour {sector}",
            "Devis, stocks, achats, factures et comptabilité reliés dans un seul logiciel de "
            "gestion.",
            "Cartographie des processus, choix de l'ERP, paramétrage, reprise des données et "
            "accompagnement au démarrage de {client}. Interfaçage avec la facturation "
            "électronique.",
            85_000,
            PER_DAY,
            15,
            HYBRID,
            ("crm",),
        ),
        T(
            "management",
            "Dématérialisation des notes de frais et des achats pour {sector}",
            "Fini les tickets perdus : notes de frais photographiées, factures fournisseurs "
            "captées et rapprochées automatiquement.",
            "Mise en place de l'outil, règles de validation, lien avec la comptabilité et "
            "formation des équipes de {client}.",
            110_000,
            FIXED,
            10,
            REMOTE,
            ("data-ai",),
        ),
        T(
            "management",
            "Tableaux de bord de gestion pour {sector}",
            "Chiffre d'affaires, marge, trésorerie : les indicateurs qui comptent, mis à jour "
            "automatiquement.",
            "Connexion à vos logiciels, choix des indicateurs avec le dirigeant de {client}, "
            "tableau de bord partagé et point mensuel d'accompagnement.",
            150_000,
            FIXED,
            15,
            REMOTE,
            ("data-ai",),
        ),
    ),
    "cybersecurity": (
        T(
            "cybersecurity",
            "Audit de cybersécurité pour {sector}",
            "Savoir où vous êtes vulnérable : audit des postes, du réseau, des mots de passe et "
            "des sauvegardes, avec un plan d'action priorisé.",
            "Entretien, analyse technique et test d'hameçonnage chez {client}, puis rapport "
            "lisible par un dirigeant : risques classés, actions rapides, budget. "
            "Intervention en {region}.",
            180_000,
            FIXED,
            5,
            ON_SITE,
            ("data-ai",),
        ),
        T(
            "cybersecurity",
            "Sauvegarde externalisée et plan de reprise pour {sector}",
            "Vos données sauvegardées chaque nuit hors de vos locaux, testées, et un plan pour "
            "redémarrer après une panne ou un rançongiciel.",
            "Mise en place de la sauvegarde 3-2-1, chiffrement, supervision et test de "
            "restauration trimestriel pour {client}. Assistance en cas d'incident.",
            8_900,
            PER_MONTH,
            None,
            REMOTE,
            ("data-ai",),
        ),
        T(
            "cybersecurity",
            "Sensibilisation à la cybersécurité des équipes ({who})",
            "Reconnaître l'hameçonnage, choisir des mots de passe solides, réagir à un "
            "incident : une demi-journée concrète pour toute l'équipe.",
            "Atelier interactif avec des exemples tirés de {client} et de votre secteur, "
            "faux courriels d'entraînement et fiche réflexe à afficher.",
            95_000,
            PER_SESSION,
            1,
            ON_SITE,
            ("training",),
        ),
        T(
            "cybersecurity",
            "Sécurisation des postes et de la messagerie pour {sector}",
            "Antivirus géré, double authentification, mises à jour automatiques et messagerie "
            "protégée contre l'hameçonnage.",
            "Déploiement sur les postes de {client}, configuration de la messagerie, gestion "
            "des accès et documentation. Maintenance possible au mois.",
            140_000,
            FIXED,
            7,
            HYBRID,
            (),
        ),
    ),
    "data-ai": (
        T(
            "data-ai",
            "Mise en conformité RGPD pour {sector}",
            "Registre des traitements, mentions d'information, gestion des consentements et "
            "des droits : le RGPD sans jargon.",
            "Inventaire des données de {client}, registre, contrats sous-traitants, politique "
            "de confidentialité du site web et procédure en cas de fuite. Livrables prêts à "
            "présenter en cas de contrôle.",
            160_000,
            FIXED,
            15,
            HYBRID,
            ("cybersecurity",),
        ),
        T(
            "data-ai",
            "Intelligence artificielle au quotidien pour {sector}",
            "Gagner du temps avec l'IA générative : cas d'usage concrets, outils adaptés et "
            "règles d'usage pour l'équipe.",
            "Atelier d'identification des tâches automatisables chez {client}, choix d'outils "
            "respectueux du RGPD, charte d'usage et prise en main accompagnée.",
            90_000,
            PER_DAY,
            2,
            HYBRID,
            ("training",),
        ),
        T(
            "data-ai",
            "Exploiter vos données clients et ventes ({who})",
            "Comprendre qui achète quoi et quand : vos données de caisse, de site et de CRM "
            "enfin réunies.",
            "Collecte et nettoyage des données de {client}, tableaux de bord, segmentation "
            "client et recommandations d'actions commerciales.",
            210_000,
            FIXED,
            20,
            REMOTE,
            ("crm",),
        ),
    ),
    "export": (
        T(
            "export",
            "Vendre à l'export en ligne : diagnostic pour {sector}",
            "Quels pays, quels canaux, quel budget ? Un diagnostic export en ligne pour "
            "décider en connaissance de cause.",
            "Analyse du potentiel à l'international des produits de {client}, choix des pays "
            "et des places de marché, règles de TVA et de livraison, plan d'action sur un an.",
            150_000,
            FIXED,
            10,
            REMOTE,
            ("ecommerce",),
        ),
        T(
            "export",
            "Boutique en ligne multilingue pour l'export ({who})",
            "Votre e-commerce traduit et adapté à chaque pays : langues, devises, livraison "
            "et paiement locaux.",
            "Traduction professionnelle, paramétrage des devises et des taxes, transporteurs "
            "internationaux et référencement dans chaque langue pour {client}.",
            490_000,
            FIXED,
            40,
            REMOTE,
            ("ecommerce", "marketing"),
        ),
        T(
            "export",
            "Prospection internationale en ligne pour {sector}",
            "Trouver des distributeurs et clients à l'étranger grâce au web et aux réseaux "
            "professionnels.",
            "Ciblage des pays, profils sur les réseaux professionnels en anglais, campagnes de "
            "prospection et suivi des contacts dans un CRM pour {client}.",
            80_000,
            PER_DAY,
            8,
            REMOTE,
            ("marketing", "crm"),
        ),
    ),
    "training": (
        T(
            "training",
            "Formation : piloter son site web et ses réseaux ({who})",
            "Deux jours pour devenir autonome : mettre à jour son site web, publier sur les "
            "réseaux, lire ses statistiques.",
            "Formation pratique sur les outils de {client}, en petit groupe en {region} ou à "
            "distance. Organisme de formation certifié : finançable par votre OPCO.",
            9_000,
            PER_HOUR,
            2,
            HYBRID,
            ("online-presence", "marketing"),
            0,
        ),
        T(
            "training",
            "Formation aux outils collaboratifs pour {sector}",
            "Messagerie, agenda partagé, documents en ligne et visioconférence : travailler "
            "ensemble, même à distance.",
            "Parcours adapté aux outils de {client}, exercices sur vos propres documents, "
            "bonnes pratiques de sauvegarde et de sécurité.",
            110_000,
            PER_DAY,
            1,
            ON_SITE,
            ("management",),
            0,
        ),
        T(
            "training",
            "Accompagnement du dirigeant à la transformation numérique ({who})",
            "Un regard extérieur pour prioriser vos projets numériques et les mener à bien.",
            "Six séances individuelles avec le dirigeant de {client} : diagnostic, feuille de "
            "route, choix des prestataires et suivi des premiers chantiers.",
            45_000,
            PER_SESSION,
            None,
            HYBRID,
            (),
        ),
    ),
    "green": (
        T(
            "green",
            "Bilan numérique responsable pour {sector}",
            "Mesurer l'empreinte de votre numérique (matériel, cloud, site web) et la réduire "
            "sans perdre en efficacité.",
            "Inventaire du parc de {client}, mesure de l'empreinte, plan d'actions : "
            "allongement de la durée de vie, reconditionné, écoconception du site web.",
            170_000,
            FIXED,
            10,
            HYBRID,
            ("training",),
        ),
        T(
            "green",
            "Écoconception de votre site web ({who})",
            "Un site web plus léger, plus rapide et plus sobre, mieux classé dans les "
            "moteurs de recherche.",
            "Audit d'écoconception, allègement des pages et des images, hébergement plus sobre "
            "et accessibilité améliorée pour {client}.",
            240_000,
            FIXED,
            20,
            REMOTE,
            ("online-presence",),
        ),
        T(
            "green",
            "Atelier sobriété numérique pour les équipes ({who})",
            "Les bons gestes numériques au bureau et en atelier : impression, stockage, "
            "messagerie, matériel.",
            "Atelier participatif chez {client}, défis d'équipe et indicateurs de suivi. "
            "Organisme de formation : exonéré de TVA.",
            85_000,
            PER_SESSION,
            1,
            ON_SITE,
            ("training",),
            0,
        ),
    ),
}


@dataclass(frozen=True)
class _Workshop:
    topic: str  # completes "Atelier découverte : …"
    need: str
    summary: str


# Free sessions of volunteer advisors ("connecteurs"), for their audiences.
WORKSHOPS: tuple[_Workshop, ...] = (
    _Workshop(
        "créer son site vitrine",
        "online-presence",
        "Les étapes pour créer un site vitrine simple et le tenir à jour soi-même.",
    ),
    _Workshop(
        "vendre en ligne avec une boutique en ligne",
        "ecommerce",
        "Ce que demande le commerce en ligne, les solutions existantes et leur coût réel.",
    ),
    _Workshop(
        "se protéger des arnaques et de l'hameçonnage",
        "cybersecurity",
        "Les bons réflexes de cybersécurité : mots de passe, sauvegarde, faux courriels.",
    ),
    _Workshop(
        "la facturation électronique expliquée",
        "management",
        "Ce qui change avec la facturation électronique obligatoire et comment s'y préparer.",
    ),
    _Workshop(
        "le RGPD pour les petites entreprises",
        "data-ai",
        "Les obligations du RGPD expliquées simplement, avec les documents à préparer.",
    ),
    _Workshop(
        "être visible sur les réseaux sociaux",
        "marketing",
        "Choisir ses réseaux, publier régulièrement et répondre à ses clients.",
    ),
    _Workshop(
        "le référencement local",
        "marketing",
        "Être trouvé près de chez soi : fiche d'établissement, avis et référencement local.",
    ),
    _Workshop(
        "sauvegarder ses données",
        "cybersecurity",
        "Mettre en place une sauvegarde simple et vérifier qu'elle fonctionne vraiment.",
    ),
    _Workshop(
        "un CRM pour ne plus perdre de clients",
        "crm",
        "À quoi sert un CRM, comment choisir un outil gratuit ou peu coûteux.",
    ),
    _Workshop(
        "le numérique responsable",
        "green",
        "Faire durer son matériel, alléger ses usages et choisir du reconditionné.",
    ),
    _Workshop(
        "l'intelligence artificielle sans jargon",
        "data-ai",
        "Ce que l'IA peut faire pour une petite entreprise, et ce qu'elle ne fait pas.",
    ),
    _Workshop(
        "vendre à l'export sur internet",
        "export",
        "Les premières questions à se poser avant de vendre à l'étranger en ligne.",
    ),
)
AUDIENCES = (
    "commerçants",
    "artisans",
    "créateurs d'entreprise",
    "associations",
    "agriculteurs",
    "professions libérales",
)


def seed_demo_offers(session: Session, today: date) -> tuple[int, int]:
    """Create the missing demo offers; return (created, already present)."""
    providers = list(
        session.scalars(select(Provider).where(has_live_label(today)).order_by(Provider.siret))
    )
    volunteers = [p for p in providers if p.kind == ProviderKind.VOLUNTEER]
    experts = [p for p in providers if p.kind != ProviderKind.VOLUNTEER]
    expert_budget = max(TARGET_OFFERS - VOLUNTEER_OFFERS * len(volunteers), 0)
    created = present = 0
    for provider in providers:
        actor = _member(session, provider)
        if actor is None:
            continue
        if provider.kind == ProviderKind.VOLUNTEER:
            wanted = _volunteer_offers(provider, VOLUNTEER_OFFERS)
        else:
            share, extra = divmod(expert_budget, len(experts))
            count = share + (1 if experts.index(provider) < extra else 0)
            wanted = _expert_offers(provider, count)
        existing = set(session.scalars(select(Offer.title).where(Offer.provider_id == provider.id)))
        for data in wanted:
            if data.title in existing:
                present += 1
                continue
            offer = create_offer(session, actor, provider, data)
            # A refusal (a rule the templates missed) leaves a draft rather than no demo at all.
            with suppress(Conflict):
                publish_offer(session, actor, offer, today)
            existing.add(data.title)
            created += 1
    session.flush()
    return created, present


def _member(session: Session, provider: Provider) -> User | None:
    return session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.provider_id == provider.id)
        .order_by(User.id)
        .limit(1)
    )


def _served_regions(provider: Provider) -> list[str]:
    return [r.code for r in provider.regions] or [provider.department.region_code]


def _region_name(codes: list[str]) -> str:
    return REGION_BY_CODE[codes[0]].name


def _expert_offers(provider: Provider, count: int) -> list[OfferData]:
    """`count` offers taking turns over the label's categories, each template for a sector."""
    label = provider.current_label
    categories = [c for c in (label.category_codes if label else []) if c in TEMPLATES]
    if not categories:
        return []
    # Every (template, sector) pair of a category, in an order of this provider's own: seeded
    # by its SIRET, so two agencies in the same trade do not list the same offers.
    queues = []
    for category in categories:
        pairs = [(t, s) for t in TEMPLATES[category] for s in SECTORS]
        Random(f"{provider.siret}-{category}").shuffle(pairs)
        queues.append(pairs)
    regions = _served_regions(provider)
    offers: list[OfferData] = []
    for n in range(min(count, sum(len(q) for q in queues))):
        queue = queues[n % len(queues)] or next(q for q in queues if q)
        template, sector = queue.pop(0)
        offers.append(_from_template(provider, template, sector, regions, n))
    return offers


def _title(template: _Template, sector: _Sector) -> str:
    return template.title.format(sector=sector.name, who=sector.name.split(" ", 1)[1])


def _from_template(
    provider: Provider, template: _Template, sector: _Sector, regions: list[str], n: int
) -> OfferData:
    factor = sector.factor + (n % 4) * 5  # the same offer is never priced quite the same
    step = 1000 if template.price_cents >= 100_000 else 100  # whole tens or whole euros
    price = template.price_cents * factor // 100 // step * step
    delivery = template.delivery
    languages = ["fr"]
    if template.category == "export" or n % 4 == 0:
        languages += [code for code in provider.languages if code != "fr"]
    return OfferData(
        title=_title(template, sector),
        summary=template.summary,
        description=template.description.format(
            client=sector.client, region=_region_name(regions), provider=provider.name
        ),
        category=template.category,
        needs=[template.category, *template.needs],
        price_excl_vat_cents=price,
        vat_rate_bp=template.vat_rate_bp,
        pricing_unit=template.unit,
        duration_days=template.duration_days,
        delivery_mode=delivery,
        regions=[] if delivery == REMOTE else regions,
        languages=[code for code in LANGUAGE_NAMES if code in languages],
    )


def _volunteer_offers(provider: Provider, count: int) -> list[OfferData]:
    """Free discovery workshops, each topic for one audience, in the advisor's regions."""
    regions = _served_regions(provider)
    label = provider.current_label
    home = "training" if label is None or "training" in label.category_codes else None
    offers = []
    pairs = [(w, a) for w in WORKSHOPS for a in AUDIENCES]
    Random(provider.siret).shuffle(pairs)
    for n, (workshop, audience) in enumerate(pairs[:count]):
        remote = n % 3 == 2
        category = home or workshop.need
        offers.append(
            OfferData(
                title=f"Atelier découverte : {workshop.topic} ({audience})",
                summary=workshop.summary,
                description=(
                    f"Atelier gratuit de deux heures animé par un connecteur bénévole de "
                    f"{provider.name}, pour les {audience}. {workshop.summary} Questions "
                    "libres en fin de séance, sans aucune démarche commerciale."
                    + ("" if remote else f" En petit groupe, en {_region_name(regions)}.")
                ),
                category=category,
                needs=list(dict.fromkeys([category, workshop.need])),
                price_excl_vat_cents=0,
                vat_rate_bp=0,
                pricing_unit="per_session",
                duration_days=1,
                delivery_mode=REMOTE if remote else ON_SITE,
                regions=[] if remote else regions,
                languages=["fr"],
            )
        )
    return offers
