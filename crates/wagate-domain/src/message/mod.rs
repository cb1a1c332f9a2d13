//! The WhatsApp message model. (Being written.)
